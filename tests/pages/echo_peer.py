"""A loopback OpenAI-compatible server that answers with the prompt it was sent.

It speaks the real ``/v1/chat/completions`` SSE protocol over a real socket and records the
``Authorization`` header of every request, so a test can see which key reached it. Two
prefixes of the question change how the echo comes back: ``slow:`` trickles it out word by
word (time to press Stop), ``think:`` sends reasoning (``delta.reasoning_content``) first.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

SLOW = "slow:"
THINK = "think:"
REASONING = "Let me think about this step by step."


class EchoOpenAI(BaseHTTPRequestHandler):
    """Streams back the text of the last user message in three SSE chunks (see the prefixes above)."""

    authorizations: ClassVar[list[str | None]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # /v1/models
        self._send(200, "application/json", json.dumps({"data": [{"id": "echo"}]}).encode())

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).authorizations.append(self.headers.get("Authorization"))
        text = _last_user_text(body.get("messages") or [])
        if text.startswith(SLOW):
            self._trickle(text.removeprefix(SLOW))
            return
        if text.startswith(THINK):
            self._think(text.removeprefix(THINK))
            return
        thirds = [text[: len(text) // 3], text[len(text) // 3 : 2 * len(text) // 3], text[2 * len(text) // 3 :]]
        chunks: list[dict[str, Any]] = [
            {"choices": [{"delta": {"content": part}, "finish_reason": "stop" if i == 2 else None}]}
            for i, part in enumerate(thirds)
        ]
        stream = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", stream.encode())

    def _trickle(self, text: str) -> None:
        """One word every 50 ms, flushed as it goes (until the client hangs up)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for word in text.split(" ") * 40:
                chunk = {"choices": [{"delta": {"content": word + " "}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # stopped by the client

    def _think(self, text: str) -> None:
        chunks = [{"choices": [{"delta": {"reasoning_content": REASONING}}]},
                  {"choices": [{"delta": {"content": text}, "finish_reason": "stop"}]}]
        stream = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", stream.encode())

    def _send(self, status: int, ctype: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def add_echo_provider(directory: Path, name: str, base: str, needs_key: bool = False) -> None:
    """A catalog entry (user provider file) for an :class:`EchoOpenAI` at ``base`` (``…/v1``)."""
    lines = [f'name = "{name}"', 'driver = "openai"', f'api_base = "{base}"', 'models = ["echo"]', "order = 1"]
    if needs_key:
        lines += ["needs_auth = true", f'api_key_env = "{name.upper()}_API_KEY"']
    (directory / f"{name}.toml").write_text("\n".join(lines) + "\n", "utf-8")
