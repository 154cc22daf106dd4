"""The base of every g4f handler: Jupyter auth, JSON bodies, JSON errors and served files.

Handlers stay thin: they read HTTP, call the service layer, and write the answer.
Errors raised by the service layer (:class:`G4FError`) carry their HTTP status; anything
else becomes a 500 with a generic message (never a traceback to the client).
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from ..errors import G4FError, TooManyRequestsError
from .body import SpooledBodyMixin
from .settings import G4FSettings
from .streaming import StreamingMixin

__all__ = ["G4FAPIHandler", "G4FPageHandler"]


class _G4FMixin(JupyterHandler):
    """Shared by API and page handlers (placed before Jupyter's handler class in their MRO)."""

    auth_resource = "g4f_jupyter"

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
