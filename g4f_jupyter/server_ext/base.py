"""The base of every g4f handler: Jupyter auth, JSON bodies and JSON errors.

Handlers stay thin: they read HTTP, call the service layer, and write the answer.
Errors raised by the service layer (:class:`G4FError`) carry their HTTP status; anything
else becomes a 500 with a generic message (never a traceback to the client).
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from ..errors import BadRequestError, G4FError, PayloadTooLargeError
from .settings import G4FSettings

__all__ = ["G4FAPIHandler", "G4FPageHandler", "AUTH_RESOURCE"]

AUTH_RESOURCE = "g4f_jupyter"


class _G4FMixin:
    """Shared by API and page handlers."""

    auth_resource = AUTH_RESOURCE

    @property
    def g4f(self) -> G4FSettings:
        return self.settings["g4f_settings"]  # type: ignore[attr-defined]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Client errors raised by the service layer are one warning line, not a traceback."""
        if isinstance(value, G4FError) and value.status < 500:
            self.log.warning("%s %s -> %d: %s", self.request.method, self.request.path, value.status, value)  # type: ignore[attr-defined]
            return
        super().log_exception(typ, value, tb)  # type: ignore[misc]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, G4FError):
            status_code = exc.status
            message = str(exc)
        elif isinstance(exc, web.HTTPError):
            message = exc.log_message or self._reason  # type: ignore[attr-defined]
        else:
            message = "Internal server error" if status_code >= 500 else self._reason  # type: ignore[attr-defined]
        self.set_status(status_code)  # type: ignore[attr-defined]
        self.set_header("Content-Type", "application/json")  # type: ignore[attr-defined]
        self.finish(json.dumps({"error": {"message": message}}))  # type: ignore[attr-defined]

    def json_body(self) -> Any:
        """The request body as JSON, or a 400/413 with a clear message."""
        body: bytes = self.request.body  # type: ignore[attr-defined]
        if len(body) > self.g4f.max_body_bytes:
            raise PayloadTooLargeError(f"request body over {self.g4f.max_body_bytes} bytes")
        try:
            return json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise BadRequestError("Invalid JSON data") from None

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)  # type: ignore[attr-defined]
        self.set_header("Content-Type", "application/json")  # type: ignore[attr-defined]
        self.finish(json.dumps(data, ensure_ascii=False))  # type: ignore[attr-defined]


class G4FAPIHandler(_G4FMixin, APIHandler):
    """JSON and streaming routes under ``/backend-api/v2`` (403 without credentials)."""


class G4FPageHandler(_G4FMixin, JupyterHandler):
    """HTML pages under ``/g4f/`` (login redirect without credentials)."""
