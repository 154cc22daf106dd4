"""The jupyter-server extension: mounts every route on the server's Tornado app."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from .settings import G4FSettings

__all__ = ["route_table", "_load_jupyter_server_extension"]


def route_table() -> list[tuple[str, type]]:
    """Every (path relative to base_url, handler) pair the extension serves."""
    from . import routes_api, routes_files, routes_pages

    return [*routes_api.ROUTES, *routes_files.ROUTES, *routes_pages.ROUTES]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = G4FSettings(parent=serverapp)
    data = settings.apply()
    web_app = serverapp.web_app
    web_app.settings["g4f_settings"] = settings
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [(url_path_join(base_url, path), handler) for path, handler in route_table()])
    serverapp.log.info("g4f_jupyter: %d routes under %sbackend-api/v2, data in %s", len(route_table()), base_url, data)
