"""A stand-in for an upstream gpt4free server of era P, run as its own process.

It speaks what such a server speaks: ``/backend-api/v2/models`` as ``{provider: [ids]}``,
``/models/<provider>`` as ``[{id, label}]``, and ``/conversation`` in SSE framing
(``event:``/``data:`` blocks). Its answer names the provider and model that answered, so a
test can see how the request was routed. Prints its port, then serves until killed.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

MODELS = {"OpenaiChat": ["gpt-4o", "gpt-4o-mini"], "Gemini": ["gemini-2.5"], "Ollama": ["llama3.2:3b"]}


def sse(obj: dict[str, Any]) -> str:
    return f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n"


class EraP(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, ctype: str, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        prefix = "/backend-api/v2/models"
        if self.path == prefix:
            self._send(200, "application/json", json.dumps(MODELS))
        elif self.path.startswith(prefix + "/"):
            ids = MODELS.get(unquote(self.path[len(prefix) + 1 :]), [])
            self._send(200, "application/json", json.dumps([{"id": m, "label": m.upper()} for m in ids]))
        else:
            self._send(404, "application/json", '{"error": {"message": "Not found"}}')

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        provider, model = body.get("provider") or "", body.get("model") or ""
        if provider and model not in MODELS.get(provider, []):
            self._send(404, "application/json", json.dumps({"error": {"message": f"{provider} has no {model}"}}))
            return
        chosen = provider or next((p for p, ids in MODELS.items() if model in ids), "OpenaiChat")
        events = [
            {"type": "provider", "provider": {"name": chosen, "model": model, "label": chosen, "url": ""}},
            {"type": "content", "content": f"{chosen}/{model} (asked: {provider or 'auto'})"},
            {"type": "finish", "finish": {"reason": "stop"}},
        ]
        self._send(200, "text/event-stream", "".join(sse(e) for e in events))


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), EraP)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()
