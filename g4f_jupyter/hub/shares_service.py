"""The hub's shared-chat service: any logged-in hub user reads a share, only its owner writes it.

Started by JupyterHub as a managed service (``python -m g4f_jupyter.hub.shares_service``),
it authenticates every request with the hub (token or OAuth cookie, :mod:`jupyterhub.services.auth`),
so who may read is whoever the hub grants ``access:services!service=<name>`` to; an anonymous
visitor is sent to the hub's login unless ``G4F_HUB_PUBLIC_SHARES`` is on. Shares are stored
by :mod:`g4f_jupyter.service.shares` in the service's own data directory, each marked with the
hub user who published it, who alone may replace or remove it: a user's buckets, keys and
memory never leave that user's server.

Routes under ``$JUPYTERHUB_SERVICE_PREFIX``: ``chat/<id>`` (the read-only page, drawn by the
same chat bundle as on a user's server), ``static/<path>`` (that bundle: no data, served to any
visitor), ``api/chat/<id>`` (GET the conversation as JSON; POST publishes it; DELETE removes
it), ``oauth_callback``. The secret that signs readers' login cookies is kept in
``hub_cookie_secret`` (0600) in the data directory, so a restart logs nobody out; delete the
file to log everyone out.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from jupyterhub.services.auth import HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web

from ..errors import BadRequestError, NotFoundError
from ..service.query import bool_or_text
from ..service.shares import delete_share, load_share, save_share
from ..web.pages import SHARE_CSP, STATIC_DIR, is_shared_view_file, render_not_found, render_share
from ._service import HubServiceHandler, cookie_secret, serve

__all__ = ["PUBLIC_ENV", "make_app"]

PUBLIC_ENV = "G4F_HUB_PUBLIC_SHARES"
_SHARE_ID = r"([^/]+)"
_NO_SCRIPT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"


class _Handler(HubServiceHandler):
    """Hub authentication for every route; anonymous reads only when the operator made shares public."""

    def get_current_user(self) -> Any:
        user = super().get_current_user()
        if user is None and self.settings["g4f_public_shares"] and self.request.method == "GET":
            return {"name": "", "anonymous": True}
        return user


class SharePageHandler(_Handler):
    """``chat/<id>``: the read-only page of a shared chat (the same rendering as on a user's server)."""

    @web.authenticated
    async def get(self, share_id: str) -> None:
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        try:
            conversation = await asyncio.to_thread(load_share, share_id)
        except NotFoundError:
            self.set_header("Content-Security-Policy", _NO_SCRIPT_CSP)
            self.set_status(404)
            self.finish(render_not_found("This shared chat does not exist (or was removed)."))
            return
        assert isinstance(conversation, dict)
        self.set_header("Content-Security-Policy", SHARE_CSP)
        self.finish(render_share(conversation, self.settings["g4f_static_url"]))


class SharedViewFileHandler(web.StaticFileHandler):
    """``static/<path>``: the chat bundle the page loads (its script, stylesheet, fonts, licences).

    It holds no data and nothing about anyone, so every visitor gets it, as the login page is.
    """

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not is_shared_view_file(Path(root).resolve(), Path(absolute_path).resolve()):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"message": self._reason}}))


class ShareApiHandler(_Handler):
    """``api/chat/<id>``: GET the conversation; POST (with the publisher's hub token) stores it; DELETE
    (its publisher only) removes it, so its links answer 404."""

    @web.authenticated
    async def get(self, share_id: str) -> None:
        conversation = await asyncio.to_thread(load_share, share_id)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(conversation, ensure_ascii=False))

    @web.authenticated
    async def post(self, share_id: str) -> None:
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError:
            raise BadRequestError("the body must be JSON") from None
        saved = await asyncio.to_thread(save_share, share_id, body, self.current_user["name"])
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"share_id": saved}))

    @web.authenticated
    async def delete(self, share_id: str) -> None:
        await asyncio.to_thread(delete_share, share_id, self.current_user["name"])
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"share_id": share_id, "deleted": True}))


def make_app(prefix: str, public: bool = False) -> web.Application:
    """The service's routes under ``prefix`` (the hub's ``/services/<name>/``)."""
    handlers: list[Any] = [
        (url_path_join(prefix, rf"chat/{_SHARE_ID}/?"), SharePageHandler),
        (url_path_join(prefix, rf"api/chat/{_SHARE_ID}/?"), ShareApiHandler),
        (url_path_join(prefix, r"static/(.+)"), SharedViewFileHandler, {"path": str(STATIC_DIR)}),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ]
    return web.Application(
        handlers,
        cookie_secret=cookie_secret(),
        g4f_public_shares=public,
        g4f_static_url=url_path_join(prefix, "static/"),
    )


def main() -> None:
    """Started by JupyterHub as a managed service."""
    public = bool(bool_or_text(os.environ.get(PUBLIC_ENV)))
    serve(lambda prefix: make_app(prefix, public), "g4f-shares")


if __name__ == "__main__":
    main()
