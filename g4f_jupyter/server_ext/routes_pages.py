"""The g4f web pages under ``{base_url}g4f/``: chat, shared-chat view, QR code, static files.

Jinja2 templates from ``templates/``; scripts, stylesheets and fonts from ``static/``: the
bundles of the one chat front-end (built from ``labextension/`` with the licences of what they
contain), so nothing is fetched from the network. ``g4f/config`` tells the Lab panel what the
page learns from its own HTML. Every page needs Jupyter credentials; only
:class:`PublicSharePageHandler` and the bundle it loads (``PUBLIC_ROUTES``, mounted when
``c.G4FSettings.public_shares`` is on) are served without login, at their own paths so that
they never shadow the logged-in ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from tornado import web

from .._version import __version__
from ..errors import NotFoundError
from ..service.hub_shares import hub_sharing_available
from ..service.qr import qr_svg
from ..service.share_links import hub_share_url, share_base, share_prefix, share_url
from ..service.shares import load_share
from ..web.pages import (
    SHARE_CSP,
    STATIC_DIR,
    is_shared_view_file,
    is_static_file,
    render_chat,
    render_not_found,
    render_qrcode,
    render_share,
)
from .base import G4FPageHandler

__all__ = [
    "PUBLIC_ROUTES",
    "ROUTES",
    "ChatConfigHandler",
    "ChatPageHandler",
    "PublicRendererHandler",
    "PublicSharePageHandler",
    "QRCodePageHandler",
    "SharePageHandler",
    "StaticHandler",
]

_SHARE_ID = r"([^/]+)"
# Defence in depth against markup in model output or shared chats: pages run only scripts from
# this server (no inline script); inline styles stay allowed for KaTeX's typeset math.
_CHAT_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
    "object-src 'none'; frame-ancestors 'self'"
)
_NO_SCRIPT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"


class _Page(G4FPageHandler):
    """What every g4f page needs: its link base and an HTML answer."""

    def link_base(self) -> str:
        origin = f"{self.request.protocol}://{self.request.host}"
        return share_base(self.g4f.share_url, origin, self.base_url)

    def finish_html(self, text: str, status: int = 200, csp: str = _NO_SCRIPT_CSP) -> None:
        self.set_status(status)
        self.set_header("Content-Security-Policy", csp)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(text)


class ChatPageHandler(_Page):
    """The chat page (``g4f/`` and ``g4f/chat/``; ``?id=<chat>`` opens a saved chat)."""

    def chat_config(self) -> dict[str, Any]:
        """What the chat front-end needs to know about this server, in the page and in the Lab panel."""
        return {
            "base_url": self.base_url,
            "share_prefix": share_prefix(self.link_base(), self.g4f.public_shares),
            "hub_shares": hub_sharing_available(),  # offer "Share with hub users" only under JupyterHub
            "version": __version__,
        }

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.xsrf_token  # noqa: B018 — sets the _xsrf cookie that the script sends back as X-XSRFToken
        self.finish_html(render_chat(self.base_url + "g4f/static/", self.chat_config()), csp=_CHAT_CSP)


class ChatConfigHandler(ChatPageHandler):
    """``g4f/config``: the chat page's settings as JSON, for the JupyterLab panel."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.chat_config()))


class StaticHandler(G4FPageHandler, web.StaticFileHandler):
    """``g4f/static/<path>``: the chat bundles, their stylesheet, fonts and licences, behind login.

    Tornado's file handler does the serving: ETag and ``If-None-Match`` (304), ``HEAD``,
    ``Range``, and a content type from the file name. Only scripts, stylesheets, fonts and
    licences under ``static/`` are served; templates live elsewhere and are never served raw.
    """

    def initialize(
        self,
        path: str = str(STATIC_DIR),
        default_filename: str | None = None,
        allowed_symlink_directory: str | list[str] | None = None,
    ) -> None:
        super().initialize(path, default_filename, allowed_symlink_directory)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not self.may_serve(Path(root).resolve(), Path(absolute_path).resolve()):
            raise NotFoundError(f"no static file {self.path!r}")
        return super().validate_absolute_path(root, absolute_path)

    def may_serve(self, root: Path, path: Path) -> bool:
        return is_static_file(root, path)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")  # revalidated by ETag, so an upgrade shows at once

    # The auth decorators erase the signature they wrap, as on jupyter_server's AuthenticatedFileHandler.
    @web.authenticated
    @authorized
    def head(self, path: str) -> Awaitable[None]:  # type: ignore[override]
        return web.StaticFileHandler.get(self, path, include_body=False)

    @web.authenticated
    @authorized
    async def get(self, path: str, include_body: bool = True) -> None:  # type: ignore[override]
        await web.StaticFileHandler.get(self, path, include_body)


class PublicRendererHandler(StaticHandler):
    """``g4f/public/static/<path>``: only what the public shared-chat view loads.

    Its script, the renderer chunk it imports, the stylesheet, fonts and licences: no data,
    nothing about this server.
    """

    def may_serve(self, root: Path, path: Path) -> bool:
        return is_shared_view_file(root, path)

    @allow_unauthenticated
    def head(self, path: str) -> Awaitable[None]:
        return web.StaticFileHandler.get(self, path, include_body=False)

    @allow_unauthenticated
    async def get(self, path: str, include_body: bool = True) -> None:
        await web.StaticFileHandler.get(self, path, include_body)


class QRCodePageHandler(_Page):
    """``g4f/qrcode/<share_id>``: the share link as a QR picture drawn on the server.

    ``?to=hub`` draws the link hub users open instead (404 outside JupyterHub).
    """

    @web.authenticated
    @authorized
    def get(self, share_id: str) -> None:
        if self.get_query_argument("to", "") == "hub":
            link = hub_share_url(share_id)
            if link is None:
                raise NotFoundError("not running under JupyterHub: there is no hub link")
        else:
            link = share_url(share_id, self.link_base(), self.g4f.public_shares)
        self.finish_html(render_qrcode(link, qr_svg(link, title="Shared chat link")))


class _ShareView(_Page):
    """The one rendering of a shared chat, behind login or (opt-in) without it."""

    static_path = "g4f/static/"

    async def render_share_page(self, share_id: str) -> None:
        try:
            conversation = await asyncio.to_thread(load_share, share_id)
        except NotFoundError:
            self.finish_html(render_not_found("This shared chat does not exist (or was removed)."), 404)
            return
        assert isinstance(conversation, dict)  # no If-None-Match given, so never NOT_MODIFIED
        self.finish_html(render_share(conversation, self.base_url + self.static_path), csp=SHARE_CSP)


class SharePageHandler(_ShareView):
    """``g4f/chat/<share_id>``: the read-only view of a shared chat, for logged-in users."""

    @web.authenticated
    @authorized
    async def get(self, share_id: str) -> None:
        await self.render_share_page(share_id)


class PublicSharePageHandler(_ShareView):
    """``g4f/public/chat/<share_id>``: the same view WITHOUT login (only with public_shares on)."""

    static_path = "g4f/public/static/"

    @allow_unauthenticated
    async def get(self, share_id: str) -> None:
        await self.render_share_page(share_id)


ROUTES: list[tuple[str, type]] = [
    (r"g4f/?", ChatPageHandler),
    (r"g4f/chat/?", ChatPageHandler),
    (r"g4f/config", ChatConfigHandler),
    (r"g4f/static/(.+)", StaticHandler),
    (rf"g4f/qrcode/{_SHARE_ID}/?", QRCodePageHandler),
    (rf"g4f/chat/{_SHARE_ID}/?", SharePageHandler),
]
# Served without login, and only when c.G4FSettings.public_shares is on.
PUBLIC_ROUTES: list[tuple[str, type]] = [
    (rf"g4f/public/chat/{_SHARE_ID}/?", PublicSharePageHandler),
    (r"g4f/public/static/(.+)", PublicRendererHandler),
]
