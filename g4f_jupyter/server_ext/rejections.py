"""Requests Tornado refuses before any handler sees them get a JSON 400 too.

A header with a control character, a folded header line, a bad request line, ``Host`` or query
string: Tornado's HTTP parser answers these with a bare ``400 Bad Request`` and no body, before
routing, so no handler's ``write_error`` runs. Clients of this API parse every error as
``{"error": {"message"}}``, so the server's connections write that body instead. The request
could not be parsed, so its path is unknown: this holds for every path of the Jupyter server,
whose own API answers JSON errors as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tornado import httputil, web
from tornado.iostream import IOStream

__all__ = ["answer_malformed_requests_in_json"]

_TORNADO_400 = b"HTTP/1.1 400 Bad Request\r\n\r\n"  # what tornado.http1connection writes, byte for byte
_MESSAGE = "malformed HTTP request: its request line, a header (control characters, folded lines), Host or query string"
_BODY = json.dumps({"error": {"message": _MESSAGE}}).encode("ascii")
_JSON_400 = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
    + f"Content-Length: {len(_BODY)}\r\n\r\n".encode("ascii")
    + _BODY
)
_MARK = "_g4f_json_rejections"


def _json_writes(stream: IOStream) -> None:
    """Make ``stream`` write the JSON 400 where Tornado writes its empty one (once per connection)."""
    if getattr(stream, _MARK, False):
        return
    write: Callable[..., Any] = stream.write

    def write_json_rejection(data: bytes | memoryview) -> Any:
        return write(_JSON_400 if data == _TORNADO_400 else data)

    setattr(stream, "write", write_json_rejection)  # noqa: B010 — an instance attribute, on this connection only
    setattr(stream, _MARK, True)


def answer_malformed_requests_in_json(app: web.Application) -> None:
    """Hook ``app`` so each connection it serves answers malformed requests with a JSON 400."""
    if getattr(app, _MARK, False):
        return
    start_request = app.start_request

    def start(server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        stream = getattr(request_conn, "stream", None)  # HTTP/1 connections; others have nothing to hook
        if isinstance(stream, IOStream):
            _json_writes(stream)
        return start_request(server_conn, request_conn)

    setattr(app, "start_request", start)  # noqa: B010 — this application only
    setattr(app, _MARK, True)
