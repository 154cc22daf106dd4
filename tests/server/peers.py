"""Loopback servers that stand in for remote providers, speaking their real wire protocols.

``Peer`` speaks ``/backend-api/v2/conversation`` (NDJSON, as our own server and upstream's
classic one do) and records every body it is sent, so tests can see exactly what a request
forwarded. ``OpenAICompatible`` speaks ``/v1/chat/completions`` (SSE). Both answer HTTP 500
under a path starting with ``/fail``.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

from g4f_jupyter.core import events as ev


class _Recorder(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, ctype: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _record(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        return body

    def do_POST(self) -> None:
        body = self._record()
        if self.path.startswith("/fail"):
            self._reply(500, "application/json", b'{"error": {"message": "overloaded"}}')
        else:
            self._reply(200, "text/event-stream", self.answer(body))

    def answer(self, body: dict[str, Any]) -> bytes:
        raise NotImplementedError


class Peer(_Recorder):
    """Another ``/backend-api/v2`` server: answers ``peer ok``."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def answer(self, body: dict[str, Any]) -> bytes:
        model = body.get("model") or "m"
        events = [ev.ProviderInfo(name="Remote", model=model), ev.Content("peer ok"), ev.Finish("stop")]
        return "".join(ev.frame(e, "ndjson") for e in events).encode()


class OpenAICompatible(_Recorder):
    """An OpenAI-compatible server: answers ``openai ok`` as two SSE chunks."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def answer(self, body: dict[str, Any]) -> bytes:
        chunks = [
            {"choices": [{"delta": {"content": "openai "}}]},
            {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]},
        ]
        return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


def add_peer(directory: Path, name: str, base: str, models: tuple[str, ...] = ("m",), order: int = 50) -> None:
    """A catalog entry for a ``Peer`` at ``base`` (a user provider file)."""
    listed = ", ".join(json.dumps(m) for m in models)
    (directory / f"{name}.toml").write_text(
        f'name = "{name}"\ndriver = "backend_api"\napi_base = "{base}"\norder = {order}\nmodels = [{listed}]\n', "utf-8"
    )


def add_openai(directory: Path, name: str, base: str, **extra: str) -> None:
    """A catalog entry for an OpenAI-compatible server at ``base`` (``…/v1``)."""
    lines = [f'name = "{name}"', 'driver = "openai"', f'api_base = "{base}"', 'models = ["m"]']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    (directory / f"{name}.toml").write_text("\n".join(lines) + "\n", "utf-8")
