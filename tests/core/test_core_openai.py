"""The openai driver against llama-cpp-python's real OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import pytest_asyncio

from g4f_jupyter.core.drivers.http import close_clients
from g4f_jupyter.core.drivers.local import model_path
from g4f_jupyter.core.events import Auth, Content, Error, Event, Finish, Usage
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.core.runner import ChatRequest, run_chat
from g4f_jupyter.errors import ProviderUnreachableError


@pytest_asyncio.fixture(autouse=True)
async def pooled_sessions_closed() -> AsyncIterator[None]:
    """Each test runs on its own loop: close that loop's pooled sessions with it, as the server's stop does."""
    yield
    await close_clients()


KEY = "secret123"
PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama_cpp.server serving the embedded GGUF, protected by an API key."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"  # a file: its verbose log would fill a pipe
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--api_key",
            KEY,
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-2000:]
            try:
                if (
                    httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=2).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not start"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def llama_provider(llama_server: str, user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LLAMASRV_TEST_KEY", KEY)
    (user_providers_dir / "llamasrv.toml").write_text(
        f'name = "LlamaSrv"\ndriver = "openai"\napi_base = "{llama_server}"\napi_key_env = "LLAMASRV_TEST_KEY"\n'
        "needs_auth = true\nlive_models = true\n",
        "utf-8",
    )
    return "LlamaSrv"


async def _run(request: ChatRequest) -> list[Event]:
    return [event async for event in run_chat(request)]


@pytest.mark.asyncio
async def test_streaming_answer_with_usage(llama_provider: str) -> None:
    request = ChatRequest(
        [{"role": "user", "content": "Say hello."}],
        provider=llama_provider,
        options={"max_tokens": 12, "temperature": 0},
    )
    events = await _run(request)
    kinds = [e.type for e in events]
    assert kinds[:2] == ["provider", "parameters"] and kinds[-2:] == ["usage", "finish"]
    assert "".join(e.content for e in events if isinstance(e, Content)).strip()
    usage = events[-2]
    # llama_cpp.server ignores stream_options.include_usage (no 400): the runner estimates instead
    assert isinstance(usage, Usage) and usage.completion_tokens > 0 and usage.prompt_tokens > 0
    assert usage.extra["provider"] == llama_provider
    assert isinstance(events[-1], Finish) and events[-1].reason in {"stop", "length"}


@pytest.mark.asyncio
async def test_models_are_listed_live(llama_provider: str) -> None:
    models = await get_registry().get(llama_provider).get_models()
    assert str(model_path()) in models


@pytest.mark.asyncio
async def test_wrong_key_is_an_auth_event(llama_provider: str) -> None:
    request = ChatRequest([{"role": "user", "content": "hi"}], provider=llama_provider, api_key="wrong-key")
    events = await _run(request)
    assert [e.type for e in events] == ["provider", "parameters", "auth", "log"]
    assert isinstance(events[2], Auth) and "401" in events[2].message


@pytest.mark.asyncio
async def test_wrong_key_when_listing_models(llama_provider: str) -> None:
    from g4f_jupyter.errors import ProviderHTTPError

    with pytest.raises(ProviderHTTPError) as info:
        await get_registry().get(llama_provider).get_models(api_key="wrong-key")
    assert info.value.status == 401 and info.value.upstream_status == 401


@pytest.mark.asyncio
async def test_per_request_base_url_for_custom(llama_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOM_API_KEY", KEY)
    request = ChatRequest(
        [{"role": "user", "content": "Hi"}], provider="Custom", api_base=llama_server, options={"max_tokens": 4}
    )
    events = await _run(request)
    assert [e.type for e in events][-2:] == ["usage", "finish"]


# --- a server that refuses stream_options (some OpenAI-compatible engines do) ----------------


class StrictServer(BaseHTTPRequestHandler):
    """Answers 400 naming stream_options when it is sent; otherwise a two-chunk SSE stream."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StrictServer.bodies.append(body)
        if "stream_options" in body:
            payload = b'{"error": {"message": "Unrecognized request argument supplied: stream_options"}}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
        else:
            chunks = [
                {"choices": [{"delta": {"reasoning_content": "hm"}}]},
                {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]},
            ]
            payload = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.mark.asyncio
async def test_retry_without_stream_options(loopback: Any, user_providers_dir: Path) -> None:
    StrictServer.bodies.clear()
    base = loopback(StrictServer)
    (user_providers_dir / "strict.toml").write_text(
        f'name = "Strict"\ndriver = "openai"\napi_base = "{base}/v1"\nlive_models = true\n', "utf-8"
    )
    events = await _run(ChatRequest([{"role": "user", "content": "hi"}], provider="Strict", model="m"))
    assert [e.type for e in events] == ["provider", "parameters", "reasoning", "content", "usage", "finish"]
    assert ["stream_options" in b for b in StrictServer.bodies] == [True, False]


@pytest.mark.asyncio
async def test_images_become_image_url_parts(loopback: Any, user_providers_dir: Path) -> None:
    StrictServer.bodies.clear()
    base = loopback(StrictServer)
    (user_providers_dir / "strict.toml").write_text(
        f'name = "Strict"\ndriver = "openai"\napi_base = "{base}/v1"\nlive_models = true\n', "utf-8"
    )
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "what is this?"},
    ]
    media = [(b"\x89PNG-bytes", "cat.png"), ("data:image/jpeg;base64,AAAA", "dog.jpg"), (b"%PDF", "doc.pdf")]
    await _run(ChatRequest(messages, provider="Strict", model="m", media=media))
    sent = StrictServer.bodies[-1]["messages"]
    assert sent[:2] == messages[:2]
    assert sent[2]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORy1ieXRlcw=="}},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
    ]
    assert messages[2]["content"] == "what is this?"  # the caller's messages are not modified


@pytest.mark.asyncio
async def test_stream_usage_setting_skips_stream_options(loopback: Any, user_providers_dir: Path) -> None:
    StrictServer.bodies.clear()
    base = loopback(StrictServer)
    (user_providers_dir / "strict.toml").write_text(
        f'name = "Strict"\ndriver = "openai"\napi_base = "{base}/v1"\nlive_models = true\n'
        "[settings]\nstream_usage = false\n",
        "utf-8",
    )
    events = await _run(ChatRequest([{"role": "user", "content": "hi"}], provider="Strict", model="m"))
    assert not [e for e in events if isinstance(e, Error)]
    assert ["stream_options" in b for b in StrictServer.bodies] == [False]


# --- proxy environment --------------------------------------------------------------------


class Models(BaseHTTPRequestHandler):
    """An OpenAI-compatible ``/v1/models`` listing one model."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": "via-env"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ForwardingProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy: fetches the absolute URI it is asked for, and remembers it."""

    requested: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        ForwardingProxy.requested.append(self.path)
        reply = httpx.get(self.path, trust_env=False)
        self.send_response(reply.status_code)
        self.send_header("Content-Length", str(len(reply.content)))
        self.send_header("Content-Type", reply.headers["Content-Type"])
        self.end_headers()
        self.wfile.write(reply.content)


@pytest.fixture
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _models_provider(directory: Path, target: str) -> str:
    (directory / "viaenv.toml").write_text(
        f'name = "ViaEnv"\ndriver = "openai"\napi_base = "{target}/v1"\nlive_models = true\n'
    )
    return "ViaEnv"


@pytest.mark.asyncio
async def test_proxy_env_is_used(loopback: Any, clean_proxy_env: pytest.MonkeyPatch, user_providers_dir: Path) -> None:
    ForwardingProxy.requested.clear()
    target, proxy = loopback(Models), loopback(ForwardingProxy)
    name = _models_provider(user_providers_dir, target)
    assert await get_registry().get(name).get_models() == ["via-env"]
    assert ForwardingProxy.requested == []  # no proxy set: straight to the server
    clean_proxy_env.setenv("HTTP_PROXY", proxy)  # read at call time: the same pooled session now goes through it
    assert await get_registry().get(name).get_models() == ["via-env"]
    assert ForwardingProxy.requested == [f"{target}/v1/models"]


@pytest.mark.asyncio
async def test_no_proxy_bypasses_a_dead_proxy(
    loopback: Any, clean_proxy_env: pytest.MonkeyPatch, user_providers_dir: Path
) -> None:
    name = _models_provider(user_providers_dir, loopback(Models))
    dead = f"http://127.0.0.1:{_free_port()}"
    clean_proxy_env.setenv("http_proxy", dead)
    with pytest.raises(ProviderUnreachableError):  # the dead proxy was tried, though the server is up
        await get_registry().get(name).get_models()
    clean_proxy_env.setenv("NO_PROXY", "127.0.0.1")
    assert await get_registry().get(name).get_models() == ["via-env"]


@pytest.mark.asyncio
async def test_an_unreachable_server_is_one_error_naming_provider_and_url(user_providers_dir: Path) -> None:
    base = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    (user_providers_dir / "down.toml").write_text(
        f'name = "Down"\ndriver = "openai"\napi_base = "{base}"\nlive_models = true\n', "utf-8"
    )
    events = await _run(ChatRequest(messages=[{"role": "user", "content": "hi"}], provider="Down", model="m"))
    [error] = [e for e in events if isinstance(e, Error)]
    assert error.error == "ProviderUnreachableError"
    assert f"Down: connection to {base}/chat/completions failed" in error.message
    with pytest.raises(ProviderUnreachableError, match=f"Down: connection to {base}/models failed"):
        await get_registry().get("Down").get_models()
