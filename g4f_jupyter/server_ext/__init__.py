"""The jupyter-server extension: the :class:`~.app.G4FJupyterApp` and its route table."""

from __future__ import annotations

from .app import G4FJupyterApp, route_table

__all__ = ["G4FJupyterApp", "route_table"]
