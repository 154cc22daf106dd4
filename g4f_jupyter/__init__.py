"""g4f-jupyter: the gpt4free /backend-api/v2 backend and provider core, inside Jupyter."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .api import aask, ask, astream, stream
from .errors import G4FError

__all__ = ["__version__", "ask", "aask", "stream", "astream", "chat", "G4FError", "load_ipython_extension"]


def chat(**kwargs: Any) -> Any:
    """Show a chat widget in the notebook and return it (``provider=``, ``model=``, ``system=``, options)."""
    from IPython.display import display

    from .widgets.chat import ChatWidget

    widget = ChatWidget(**kwargs)
    display(widget)
    return widget


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext g4f_jupyter``: registers the %g4f / %%g4f magics."""
    from .magics import G4FMagics

    ipython.register_magics(G4FMagics)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "g4f_jupyter.server_ext"}]
