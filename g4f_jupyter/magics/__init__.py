"""The ``%g4f`` / ``%%g4f`` magics: :func:`load` and :func:`unload` for ``%load_ext`` / ``%unload_ext``.

Loading adds three things to a shell, and unloading takes all three away again: the
magics, the ``post_run_cell`` hook that keeps failed cells' tracebacks as ``Err[n]``, and
the input transform that keeps a trailing ``?`` in a ``%g4f`` line.
"""

from __future__ import annotations

from typing import Any

from . import input as input_transform
from .history import ERR_NAME
from .magic import G4FMagics

__all__ = ["G4FMagics", "load", "unload"]


def load(shell: Any) -> G4FMagics:
    """Register the magics, the error hook and the input transform on ``shell``."""
    unload(shell)  # a second load replaces the first instead of doubling its hook
    magics = G4FMagics(shell=shell)
    shell.register_magics(magics)
    shell.user_ns.setdefault(ERR_NAME, {})
    shell.user_ns_hidden[ERR_NAME] = shell.user_ns[ERR_NAME]  # ours, like In and Out: not a user variable
    shell.events.register("post_run_cell", magics.record_error)
    input_transform.install(shell)
    return magics


def unload(shell: Any) -> None:
    """Remove everything :func:`load` added (``Err`` and the history go with the magics)."""
    manager = shell.magics_manager
    magics = manager.registry.pop(G4FMagics.__name__, None)
    for kind in ("line", "cell"):
        if isinstance(getattr(manager.magics[kind].get("g4f"), "__self__", None), G4FMagics):
            del manager.magics[kind]["g4f"]
    if magics is not None:
        if magics in shell.configurables:
            shell.configurables.remove(magics)
        if magics.record_error in shell.events.callbacks["post_run_cell"]:
            shell.events.unregister("post_run_cell", magics.record_error)
    input_transform.uninstall(shell)
