"""Real HTTP servers on loopback for the driver tests (stdlib ``http.server`` in a thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Serve = Callable[[type[BaseHTTPRequestHandler]], str]


@pytest.fixture
def loopback() -> Iterator[Serve]:
    """Start ``handler`` on 127.0.0.1 (a free port) and return its base URL; stopped after the test."""
    servers: list[ThreadingHTTPServer] = []

    def serve(handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
