"""What every hub-managed g4f service shares: hub authentication, JSON errors, the cookie secret
that signs logins, and how the hub starts it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthenticated
from tornado import ioloop, web

from ..config import data_dir
from ..errors import G4FError
from ..service.secret_file import read_or_create_secret

__all__ = ["COOKIE_SECRET_FILE", "HubServiceHandler", "cookie_secret", "serve"]

COOKIE_SECRET_FILE = "hub_cookie_secret"


def cookie_secret() -> bytes:
    """The key that signs readers' login cookies: made once per data directory, kept 0600, so a
    restart of the service logs nobody out (delete the file to log everyone out)."""
    return read_or_create_secret(data_dir() / COOKIE_SECRET_FILE, lambda: secrets.token_hex(32).encode("ascii"))


class HubServiceHandler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]  # jupyterhub has no type information
    """Hub authentication (token or OAuth cookie) on every route; errors as ``{"error": {"message"}}``."""

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


def serve(make_app: Callable[[str], web.Application], name: str) -> None:
    """Serve ``make_app(prefix)`` on ``$JUPYTERHUB_SERVICE_URL``, as JupyterHub starts a managed service."""
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = make_app(os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{name}/"))
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    with contextlib.suppress(KeyboardInterrupt):  # how the hub stops its managed services
        ioloop.IOLoop.current().start()
