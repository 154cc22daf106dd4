"""The hub's shared-chat service: any logged-in hub user reads a share, only its owner writes it.

Started by JupyterHub as a managed service (``python -m g4f_jupyter.hub.shares_service``),
it authenticates every request with the hub (token or OAuth cookie, :mod:`jupyterhub.services.auth`),
so who may read is whoever the hub grants ``access:services!service=<name>`` to; an anonymous
visitor is sent to the hub's login unless ``G4F_HUB_PUBLIC_SHARES`` is on. Shares are stored
by :mod:`g4f_jupyter.service.shares` in the service's own data directory, each marked with the
hub user who published it: a user's buckets, keys and memory never leave that user's server.

Routes under ``$JUPYTERHUB_SERVICE_PREFIX``: ``chat/<id>`` (the read-only page),
``api/chat/<id>`` (GET the conversation as JSON; POST publishes it), ``oauth_callback``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from ..errors import BadRequestError, G4FError, NotFoundError
from ..server_ext.pages import render_not_found, render_share
from ..service.query import bool_or_text
from ..service.shares import load_share, save_share
from ..store.layout import share_file
from ..store.locks import file_lock

__all__ = ["OWNER_KEY", "PUBLIC_ENV", "make_app", "publish"]

OWNER_KEY = "owner"  # the hub user who published the share, set by the service, never by the client
PUBLIC_ENV = "G4F_HUB_PUBLIC_SHARES"
_SHARE_ID = r"([^/]+)"
_NO_SCRIPT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"


def publish(share_id: str, conversation: Any, user: str) -> str:
    """Store ``conversation`` as ``user``'s share; a share another user published is refused (403)."""
    if not isinstance(conversation, dict):
        raise BadRequestError("the share must be a conversation object")
    with file_lock(share_file(share_id).with_suffix(".owner.lock")):
        try:
            current = load_share(share_id)
        except NotFoundError:
            current = None
        if isinstance(current, dict) and current.get(OWNER_KEY) != user:
            raise web.HTTPError(403, "this shared chat belongs to another user")
        return save_share(share_id, {**conversation, OWNER_KEY: user})


class _Handler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]  # jupyterhub has no type information
    """Hub authentication for every route; anonymous reads only when the operator made shares public."""

    def get_current_user(self) -> Any:
        user = super().get_current_user()
        if user is None and self.settings["g4f_public_shares"] and self.request.method == "GET":
            return {"name": "", "anonymous": True}
        return user

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, G4FError):
            status_code, message = exc.status, str(exc)
        elif isinstance(exc, web.HTTPError):
            message = exc.log_message or self._reason
        else:
            message = "Internal server error"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"message": message}}))


class SharePageHandler(_Handler):
    """``chat/<id>``: the read-only page of a shared chat (the same rendering as on a user's server)."""

    @web.authenticated
    async def get(self, share_id: str) -> None:
        self.set_header("Content-Security-Policy", _NO_SCRIPT_CSP)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        try:
            conversation = await asyncio.to_thread(load_share, share_id)
        except NotFoundError:
            self.set_status(404)
            self.finish(render_not_found("This shared chat does not exist (or was removed)."))
            return
        assert isinstance(conversation, dict)
        self.finish(render_share(conversation))


class ShareApiHandler(_Handler):
    """``api/chat/<id>``: GET the conversation; POST (with the publisher's hub token) stores it."""

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
        saved = await asyncio.to_thread(publish, share_id, body, self.current_user["name"])
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"share_id": saved}))


def make_app(prefix: str, public: bool = False) -> web.Application:
    """The service's routes under ``prefix`` (the hub's ``/services/<name>/``)."""
    handlers: list[Any] = [
        (url_path_join(prefix, rf"chat/{_SHARE_ID}/?"), SharePageHandler),
        (url_path_join(prefix, rf"api/chat/{_SHARE_ID}/?"), ShareApiHandler),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ]
    # The OAuth cookie is signed with a fresh secret: a restart only makes readers log in again.
    return web.Application(handlers, cookie_secret=os.urandom(32), g4f_public_shares=public)


def main() -> None:
    """Serve on ``$JUPYTERHUB_SERVICE_URL``, as JupyterHub starts a managed service."""
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/g4f-shares/")
    app = make_app(prefix, bool(bool_or_text(os.environ.get(PUBLIC_ENV))))
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    with contextlib.suppress(KeyboardInterrupt):  # how the hub stops its managed services
        ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
