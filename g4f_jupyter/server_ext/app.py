"""The jupyter-server extension as an ``ExtensionApp``: its settings, its routes, its start and stop.

Built on jupyter_server's own machinery so the server calls back at start and on shutdown
(:mod:`g4f_jupyter.service.lifecycle` says what happens then).
"""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp

from .._version import __version__
from ..service import lifecycle
from .kernel_websockets import kernel_messages_without_delay
from .rejections import answer_malformed_requests_in_json
from .settings import G4FSettings

__all__ = ["G4FJupyterApp", "route_table"]


def route_table(public_shares: bool = False) -> list[tuple[str, type]]:
    """Every (path relative to base_url, handler) pair the extension serves.

    All of them require Jupyter credentials, except the read-only shared-chat page when
    the operator turns ``public_shares`` on.
    """
    from . import routes_api, routes_complete, routes_conversations, routes_files, routes_hub, routes_pages

    # The hub's, the saved chats' and completion's routes go before the API's catch-all for unknown paths.
    routes = [
        *routes_hub.ROUTES, *routes_conversations.ROUTES, *routes_complete.ROUTES, *routes_api.ROUTES,
        *routes_files.ROUTES, *routes_pages.ROUTES,
    ]
    return routes + (routes_pages.PUBLIC_ROUTES if public_shares else [])


class G4FJupyterApp(ExtensionApp):
    """The g4f routes, pages and settings inside a Jupyter server (``c.G4FSettings.*``)."""

    name = "g4f_jupyter"
    description = "The gpt4free /backend-api/v2 backend and web chat, inside Jupyter."
    version = __version__
    classes = [G4FSettings]  # noqa: RUF012 — traitlets' own class attribute
    load_other_extensions = True

    g4f: G4FSettings

    def initialize_settings(self) -> None:
        """Read the settings, export them to kernels, and remove what a killed writer left behind."""
        self.g4f = G4FSettings(parent=self)
        data = self.g4f.apply()
        swept = lifecycle.start(self.g4f.operator_settings())
        self.settings["g4f_settings"] = self.g4f
        self.log.info("g4f_jupyter %s: data in %s (%d stale temporary files removed)", __version__, data, swept)

    def initialize_handlers(self) -> None:
        routes = route_table(self.g4f.public_shares)
        self.handlers.extend(routes)
        if self.serverapp is not None:  # always, once loaded by a server
            answer_malformed_requests_in_json(self.serverapp.web_app)
            kernel_messages_without_delay(self.serverapp.web_app.settings)
        self.log.info("g4f_jupyter: %d routes; web chat at %sg4f/", len(routes), self.settings["base_url"])

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        """Once the server's loop runs: the user's hub groups, and usage reports to the hub."""
        await lifecycle.started(self.g4f.operator_settings())

    async def stop_extension(self) -> None:
        """Close pooled provider connections and stop the embedded model's worker thread."""
        await lifecycle.stop()
