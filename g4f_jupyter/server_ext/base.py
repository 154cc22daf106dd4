"""The base of every g4f handler: Jupyter auth, JSON bodies, JSON errors and served files.

Handlers stay thin: they read HTTP, call the service layer, and write the answer.
Errors raised by the service layer (:class:`G4FError`) carry their HTTP status; anything
else becomes a 500 with a generic message (never a traceback to the client). Every error,
Tornado's own 405s and 400s included, is ``{"error": {"message"}}``.

Credentials are checked before the method: a client without them gets 403 (a page's GET the
login redirect) whatever method it sends, so a stranger cannot tell which methods a route has.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from ..errors import G4FError, TooManyRequestsError
from .body import SpooledBodyMixin
from .settings import G4FSettings
from .streaming import StreamingMixin

__all__ = ["HTTP_METHODS", "G4FAPIHandler", "G4FPageHandler"]

HTTP_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")
"""The methods a handler may implement (Tornado's ``SUPPORTED_METHODS``)."""


class _EveryMethod(tuple[str, ...]):
    """``SUPPORTED_METHODS`` that admits any method, so Tornado's 405 for an unknown one waits for
    ``prepare()``, which answers 403 to a client without credentials and 405 to the others."""

    def __contains__(self, method: object) -> bool:
        return True


class _G4FMixin(JupyterHandler):
    """Shared by API and page handlers (placed before Jupyter's handler class in their MRO)."""

    auth_resource = "g4f_jupyter"
    SUPPORTED_METHODS = _EveryMethod(HTTP_METHODS)

    async def prepare(self) -> None:  # type: ignore[override]  # as JupyterHandler.prepare
        """Credentials first, then the method: 403 (or the login redirect) before any 405."""
        if self.request.method not in HTTP_METHODS:
            user = self.identity_provider.get_user(self)
            if inspect.isawaitable(user):
                user = await user
            raise web.HTTPError(405 if user else 403)
        await super().prepare()
        if self.current_user or self._finished:
            return
        method = getattr(self, str(self.request.method).lower())
        if not getattr(method, "__allow_unauthenticated", False):
            # Tornado's own check: the login redirect for a page's GET/HEAD, else 403 (always 403 for the API).
            web.authenticated(lambda _: None)(self)

    @property
    def g4f(self) -> G4FSettings:
        settings: G4FSettings = self.settings["g4f_settings"]
        return settings

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Client errors raised by the service layer are one warning line, not a traceback."""
        if isinstance(value, G4FError) and value.status < 500:
            request = self.request
            self.log.warning("%s %s -> %d: %s", request.method, request.path, value.status, value)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, G4FError):
            status_code = exc.status
            message = str(exc)
        elif isinstance(exc, web.HTTPError):
            message = exc.log_message or self._reason
        else:
            message = "Internal server error" if status_code >= 500 else self._reason
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        if isinstance(exc, TooManyRequestsError):  # a policy limit: when asking again may succeed
            self.set_header("Retry-After", str(exc.retry_after))
        prepared = getattr(self, "_prepared_future", None)
        if prepared is not None and not prepared.done():
            # Refused before its body was read: Tornado closes the connection after this answer,
            # so say so, or a proxy's keep-alive pool (JupyterHub's) sends the next request into it.
            self.set_header("Connection", "close")
        self.finish(json.dumps({"error": {"message": message}}))

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, ensure_ascii=False))


@web.stream_request_body
class G4FAPIHandler(SpooledBodyMixin, _G4FMixin, StreamingMixin, APIHandler):
    """JSON and streaming routes under ``/backend-api/v2`` (403 without credentials).

    Request bodies are bounded and spooled (:mod:`.body`); answers stream (:mod:`.streaming`).
    """


class G4FPageHandler(_G4FMixin, JupyterHandler):
    """HTML pages under ``/g4f/`` (login redirect without credentials)."""
