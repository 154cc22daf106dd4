"""A loopback OpenAI-compatible server standing in for a model capable of fixing code.

It speaks the real ``/v1/chat/completions`` SSE protocol over a real socket, records every
body it is sent, and answers with a fixed Python code block when any message holds a
Python traceback (else a short plain answer), so a test can check both what was sent and
where the fix went.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

FIXED_CODE = "print(1 / 1)"
FIX_ANSWER = f"You divided by zero; divide by one instead.\n\n```python\n{FIXED_CODE}\n```\n\nThat is all."
PLAIN_ANSWER = "Noted, no traceback here."


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


class FixingOpenAI(BaseHTTPRequestHandler):
    """Streams :data:`FIX_ANSWER` in three SSE chunks when a traceback was sent, else :data:`PLAIN_ANSWER`."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # /v1/models
        self._send(200, "application/json", json.dumps({"data": [{"id": "fixer"}]}).encode())

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        sent = "\n".join(message_text(m) for m in body.get("messages") or [])
        text = FIX_ANSWER if "Traceback (most recent call last)" in sent else PLAIN_ANSWER
        thirds = [text[: len(text) // 3], text[len(text) // 3 : 2 * len(text) // 3], text[2 * len(text) // 3 :]]
        chunks = [
            {"choices": [{"delta": {"content": part}, "finish_reason": "stop" if i == 2 else None}]}
            for i, part in enumerate(thirds)
        ]
        stream = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", stream.encode())

    def _send(self, status: int, ctype: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def fresh_peer() -> type[FixingOpenAI]:
    """A peer class with its own record of bodies (one per test)."""
    return type("Fixer", (FixingOpenAI,), {"bodies": []})


def add_fixer(directory: Path, base: str, name: str = "Fixer", **extra: str) -> None:
    """A catalog entry (user provider file) for a :class:`FixingOpenAI` at ``base`` (``…/v1``)."""
    lines = [f'name = "{name}"', 'driver = "openai"', f'api_base = "{base}"', 'models = ["fixer"]']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    (directory / f"{name}.toml").write_text("\n".join(lines) + "\n", "utf-8")
