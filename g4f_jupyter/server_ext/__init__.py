"""The jupyter-server extension: mounts every route on the server's Tornado app."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from .settings import G4FSettings

__all__ = ["route_table", "_load_jupyter_server_extension"]


def route_table(public_shares: bool = False) -> list[tuple[str, type]]:
    """Every (path relative to base_url, handler) pair the extension serves.

    All of them require Jupyter credentials, except the read-only shared-chat page when
    the operator turns ``public_shares`` on.
    """
    from . import routes_api, routes_files, routes_pages

    routes = [*routes_api.ROUTES, *routes_files.ROUTES, *routes_pages.ROUTES]
    return routes + (routes_pages.PUBLIC_ROUTES if public_shares else [])


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = G4FSettings(parent=serverapp)
    data = settings.apply()
    web_app = serverapp.web_app
    web_app.settings["g4f_settings"] = settings
    base_url = web_app.settings["base_url"]
    routes = route_table(settings.public_shares)
    web_app.add_handlers(".*$", [(url_path_join(base_url, path), handler) for path, handler in routes])
    serverapp.log.info("g4f_jupyter: %d routes under %s, data in %s", len(routes), base_url, data)
    serverapp.log.info("g4f_jupyter: web chat at %s", url_path_join(base_url, "g4f/"))
