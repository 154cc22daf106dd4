"""/create honours ``stream``: text/plain pieces as the provider writes them; one piece otherwise."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

V2 = "backend-api/v2"


class SlowOpenAI(BaseHTTPRequestHandler):
    """An OpenAI-compatible stream whose second delta waits until the test lets it go."""

    release: ClassVar[threading.Event] = threading.Event()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for text, wait in (("first ", False), ("second", True)):
            if wait:
                type(self).release.wait(10)
            delta = {"choices": [{"delta": {"content": text}}]}
            self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n')
        self.wfile.flush()


@pytest.fixture
def slow(loopback, user_providers_dir) -> str:
    SlowOpenAI.release.clear()
    (user_providers_dir / "Slow.toml").write_text(
        f'name = "Slow"\ndriver = "openai"\napi_base = "{loopback(SlowOpenAI)}/v1"\nmodels = ["m"]\n'
    )
    return "Slow"


async def fetch_pieces(server_url: str, auth: dict[str, str], query: str) -> tuple[int, list[bytes], dict[str, str]]:
    pieces: list[bytes] = []

    def arrived(chunk: bytes) -> None:
        pieces.append(chunk)
        if b"first" in chunk:
            SlowOpenAI.release.set()  # only once the first piece is here does the provider go on

    request = HTTPRequest(
        f"{server_url}{V2}/create?{query}", headers=auth, streaming_callback=arrived, request_timeout=30,
    )
    response = await AsyncHTTPClient().fetch(request, raise_error=False)
    return response.code, pieces, dict(response.headers)


@pytest.mark.asyncio
async def test_stream_sends_each_piece_as_it_comes(slow, server_url, jp_auth_header) -> None:
    started = time.monotonic()
    code, pieces, headers = await fetch_pieces(server_url, jp_auth_header, "provider=Slow&prompt=hi&stream=true")
    assert code == 200 and headers["Content-Type"].startswith("text/plain")
    assert b"".join(pieces) == b"first second" and pieces[0] == b"first "
    assert time.monotonic() - started < 9  # the provider was released by the first piece, not by its timeout


@pytest.mark.asyncio
async def test_without_stream_the_answer_is_one_piece(slow, raw_fetch) -> None:
    SlowOpenAI.release.set()
    response = await raw_fetch(f"{V2}/create?provider=Slow&prompt=hi&stream=false")
    assert response.code == 200 and response.body == b"first second"


@pytest.mark.asyncio
async def test_stream_with_cache_and_bad_input(slow, raw_fetch, server_url, jp_auth_header, g4f_data_dir) -> None:
    query = "provider=Slow&prompt=hi&stream=1&cache=s"
    code, pieces, _ = await fetch_pieces(server_url, jp_auth_header, query)
    assert code == 200 and b"".join(pieces) == b"first second"
    (cached,) = (g4f_data_dir / "cache" / "create").glob("*.txt")
    assert cached.read_text() == "first second"
    bad = await raw_fetch(f"{V2}/create?provider=Slow&prompt=hi&stream=maybe")
    assert bad.code == 400 and "stream" in json.loads(bad.body)["error"]["message"]
    missing = await raw_fetch(f"{V2}/create?provider=Nope&prompt=hi&stream=true")
    assert missing.code == 404 and json.loads(missing.body)["error"]["message"]
