"""Pooled provider connections: reused across requests, one session per event loop, closed by close_clients().

A loopback OpenAI-compatible server that speaks HTTP/1.1 keep-alive counts the TCP
connections it accepts, so reuse is seen from the server's side, not inferred.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio

import g4f_jupyter
from g4f_jupyter.core.drivers import http
from g4f_jupyter.core.events import Content
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.core.runner import ChatRequest, run_chat
from g4f_jupyter.core.sync import background_loop

CHUNKS = [{"choices": [{"delta": {"content": word}}]} for word in ("pooled ", "answer")] + [
    {"choices": [{"delta": {}, "finish_reason": "stop"}]}
]
ANSWER = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in CHUNKS).encode() + b"data: [DONE]\n\n"


class KeepAlive(BaseHTTPRequestHandler):
    """``/v1/chat/completions`` streamed with chunked encoding on a kept-alive connection; counts connections."""

    protocol_version = "HTTP/1.1"
    accepted: ClassVar[int] = 0
    closed: ClassVar[int] = 0
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with KeepAlive.lock:
            KeepAlive.accepted += 1

    def finish(self) -> None:
        super().finish()
        with KeepAlive.lock:
            KeepAlive.closed += 1

    def do_GET(self) -> None:
        body = b'{"data": [{"id": "m"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (ANSWER[:40], ANSWER[40:]):  # an event split across two chunks
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def provider(loopback: Any, user_providers_dir: Path) -> str:
    KeepAlive.accepted = KeepAlive.closed = 0
    base = loopback(KeepAlive)
    (user_providers_dir / "pooled.toml").write_text(
        f'name = "Pooled"\ndriver = "openai"\napi_base = "{base}/v1"\nlive_models = true\ndefault_model = "m"\n'
    )
    return "Pooled"


@pytest_asyncio.fixture(autouse=True)
async def closed_after() -> AsyncIterator[None]:
    yield
    await http.close_clients()


async def answer(provider: str) -> str:
    request = ChatRequest([{"role": "user", "content": "hi"}], provider=provider)
    return "".join([e.content async for e in run_chat(request) if isinstance(e, Content)])


async def until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.mark.asyncio
async def test_requests_reuse_one_connection(provider: str) -> None:
    for _ in range(5):
        assert await answer(provider) == "pooled answer"
    assert await get_registry().get(provider).get_models() == ["m"]  # a listing rides the same connection
    assert KeepAlive.accepted == 1


@pytest.mark.asyncio
async def test_close_clients_closes_the_loops_sessions(provider: str) -> None:
    assert await answer(provider) == "pooled answer"
    session = http.pooled_client(provider)
    assert http.pooled_client(provider) is session and not session.closed
    await http.close_clients()
    assert session.closed
    await until(lambda: KeepAlive.closed == 1)  # the server saw the kept-alive connection end
    assert await answer(provider) == "pooled answer"  # a later request opens a fresh session
    assert http.pooled_client(provider) is not session and KeepAlive.accepted == 2


@pytest.mark.asyncio
async def test_kernel_side_ask_and_this_loop_never_share_a_session(provider: str) -> None:
    """``ask()`` runs on the background loop; ``aask()``/a server request on the running one: one session each."""
    for _ in range(3):
        assert await asyncio.to_thread(g4f_jupyter.ask, "hi", provider=provider) == "pooled answer"
        assert await g4f_jupyter.aask("hi", provider=provider) == "pooled answer"
    assert KeepAlive.accepted == 2  # one kept-alive connection per loop, each reused three times

    async def session_there() -> Any:
        return http.pooled_client(provider)

    background = asyncio.run_coroutine_threadsafe(session_there(), background_loop()).result(5)
    assert background is not http.pooled_client(provider)
    asyncio.run_coroutine_threadsafe(http.close_clients(), background_loop()).result(5)
    assert background.closed and not http.pooled_client(provider).closed  # closing one loop's leaves the other's


@pytest.mark.asyncio
async def test_server_request_and_kernel_ask_in_one_process(provider: str, raw_fetch: Any) -> None:
    """The Jupyter server's loop and the background loop each keep their own connection."""
    body = {"provider": provider, "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(3):
        response = await raw_fetch("backend-api/v2/conversation", "POST", body=body)
        lines = [json.loads(line) for line in response.body.decode().splitlines()]
        assert "".join(e["content"] for e in lines if e["type"] == "content") == "pooled answer"
        assert await asyncio.to_thread(g4f_jupyter.ask, "hi", provider=provider) == "pooled answer"
    assert KeepAlive.accepted == 2
    asyncio.run_coroutine_threadsafe(http.close_clients(), background_loop()).result(5)
