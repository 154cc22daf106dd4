"""g4f-jupyter: the gpt4free /backend-api/v2 backend and provider core, inside Jupyter."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .api import aask, ask, astream, stream
from .errors import G4FError

__all__ = [
    "G4FError",
    "__version__",
    "aask",
    "ask",
    "astream",
    "chat",
    "load_ipython_extension",
    "stream",
    "unload_ipython_extension",
]


def chat(conversation: str | None = None, **kwargs: Any) -> Any:
    """Show a chat widget in the notebook and return it (``provider=``, ``model=``, ``system=``, options).

    ``chat("<id>")`` reopens a saved chat (from the web page, the Lab panel or another widget):
    its transcript is shown and the next question carries its history. Without ``provider``
    the widget chooses automatically, with the operator's defaults and fallback, as every
    other door does.
    """
    from IPython.display import display

    from .widgets.chat import ChatWidget

    widget = ChatWidget(conversation=conversation, **kwargs)
    display(widget)
    return widget


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext g4f_jupyter``: registers the %g4f / %%g4f magics."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext g4f_jupyter``: removes the magics, their error hook and input transform."""
    from .magics import unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Jupyter server finds the extension app here (enabled as ``jpserver_extensions.g4f_jupyter``)."""
    from .server_ext.app import G4FJupyterApp

    return [{"module": "g4f_jupyter", "app": G4FJupyterApp}]
