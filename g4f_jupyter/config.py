"""Where g4f-jupyter keeps its files.

Everything is resolved at call time, never at import: tests (and users) move the data
directory with ``G4F_JUPYTER_DATA_DIR`` or ``JUPYTER_DATA_DIR`` after the package is loaded,
and the kernel and the server must agree on the same directory.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

__all__ = ["catalog_dir", "data_dir", "system_providers_dirs", "user_providers_dir"]


def data_dir() -> Path:
    """The data directory shared by the server extension, the kernel and the widgets."""
    explicit = os.environ.get("G4F_JUPYTER_DATA_DIR")
    if explicit:
        path = Path(explicit)
    else:
        from jupyter_core.paths import jupyter_data_dir

        path = Path(jupyter_data_dir()) / "g4f"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def user_providers_dir() -> Path:
    """User provider TOML files live in the Jupyter config dir: ``<config>/g4f/providers``."""
    explicit = os.environ.get("G4F_JUPYTER_PROVIDERS_DIR")
    if explicit:
        return Path(explicit)
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir()) / "g4f" / "providers"


def system_providers_dirs() -> list[Path]:
    """Provider directories an operator sets for every user (a JupyterHub, a lab machine), lowest priority first.

    They are read after the shipped catalog and before the user's own directory, so a hub-wide
    file can point everyone at one shared model server while each user may still override it.
    ``G4F_JUPYTER_SYSTEM_PROVIDERS_PATH`` (``os.pathsep``-separated, highest priority first)
    replaces the default: ``g4f/providers`` under each system entry of Jupyter's config path
    (``JUPYTER_CONFIG_PATH``, ``{sys.prefix}/etc/jupyter``, ``/usr/local/etc/jupyter``, ``/etc/jupyter``).
    """
    explicit = os.environ.get("G4F_JUPYTER_SYSTEM_PROVIDERS_PATH")
    if explicit is not None:
        found = [Path(entry) for entry in explicit.split(os.pathsep) if entry]
    else:
        from jupyter_core.paths import jupyter_config_dir, jupyter_config_path

        own = Path(jupyter_config_dir())
        found = [Path(entry) / "g4f" / "providers" for entry in jupyter_config_path() if Path(entry) != own]
    return found[::-1]


@functools.cache
def catalog_dir() -> Path:
    """The shipped provider catalog: inside the wheel, or ``providers/`` of a source checkout."""
    packaged = Path(__file__).parent / "providers"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "providers"
