"""The backend_api driver against a real loopback server speaking both framings of /conversation."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from g4f_jupyter.core import events as ev
from g4f_jupyter.core.drivers.http import close_clients
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.core.runner import ChatRequest, run_chat


@pytest_asyncio.fixture(autouse=True)
async def pooled_sessions_closed() -> AsyncIterator[None]:
    """Each test runs on its own loop: close that loop's pooled sessions with it, as the server's stop does."""
    yield
    await close_clients()


ANSWER: list[ev.Event] = [
    ev.ProviderInfo(name="Upstream", model="gpt-x", label="Upstream", url="https://u.test"),
    ev.Reasoning(token="thinking"),
    ev.Content("Hel"),
    ev.Content("lo"),
    ev.Media(urls=("/media/x.png",), alt="x"),
    ev.Conversation({"Upstream": {"id": "c1"}}),
    ev.Title("Greeting"),
    ev.RawEvent(kind="conversation_id", fields={"conversation_id": "abc"}),
    ev.Usage(5, 2, 7),
    ev.Finish("stop"),
    ev.Log("remote log"),
]
NDJSON = "".join(ev.frame(e, "ndjson") for e in ANSWER)
# Upstream since 2025-12: SSE blocks, plus the comments, blank lines and [DONE] a relay may add.
SSE = ": stream opened\n\n" + "".join(ev.frame(e, "sse") for e in ANSWER) + "id: 9\ndata: [DONE]\n\n"


class Upstream(BaseHTTPRequestHandler):
    """``/ndjson/...`` answers era-A NDJSON, ``/sse/...`` SSE; every request is recorded."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, ctype: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        Upstream.seen.append({"path": self.path, "headers": dict(self.headers)})
        if self.path == "/ndjson/backend-api/v2/models":
            self._send(
                200, "application/json", json.dumps([{"name": "gpt-x"}, {"name": "gpt-y"}, {"label": "no name"}])
            )
        elif self.path == "/sse/backend-api/v2/models":
            self._send(200, "application/json", json.dumps({"A": ["m2", "m1"], "B": ["m1"]}))
        else:
            self._send(404, "application/json", '{"error": {"message": "no such page"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        Upstream.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path == "/ndjson/backend-api/v2/conversation":
            self._send(200, "text/event-stream", NDJSON)
        elif self.path == "/sse/backend-api/v2/conversation":
            self._send(200, "text/event-stream", SSE)
        elif self.path == "/locked/backend-api/v2/conversation":
            self._send(403, "application/json", '{"error": {"message": "token required"}}')
        else:
            self._send(404, "application/json", '{"error": {"message": "no such route"}}')


@pytest.fixture
def remote(loopback: Any, user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    Upstream.seen.clear()
    base = loopback(Upstream)
    monkeypatch.setenv("REMOTE_TEST_TOKEN", "jupyter-token-123")
    for prefix in ("ndjson", "sse", "locked"):
        (user_providers_dir / f"{prefix}.toml").write_text(
            f'name = "Remote{prefix.upper()}"\ndriver = "backend_api"\napi_base = "{base}/{prefix}/"\n'
            'live_models = true\n[headers]\nX-Client = "g4f-jupyter-test"\n'
            '[settings]\ntoken_env = "REMOTE_TEST_TOKEN"\n',
            "utf-8",
        )
    return base


async def _driver_events(name: str, **kwargs: Any) -> list[ev.Event]:
    provider = get_registry().get(name)
    return [e async for e in provider.create_async_generator("gpt-x", [{"role": "user", "content": "hi"}], **kwargs)]


@pytest.mark.asyncio
@pytest.mark.parametrize("framing", ["ndjson", "sse"])
async def test_both_framings_give_the_typed_events(remote: str, framing: str) -> None:
    assert await _driver_events(f"Remote{framing.upper()}") == ANSWER


@pytest.mark.asyncio
async def test_request_body_and_headers(remote: str) -> None:
    png = b"\x89PNG\r\n\x1a\n-fake-image"
    media = [(png, "cat.png"), ("data:text/plain;base64,aGk=", "note.txt")]
    await _driver_events(
        "RemoteNDJSON",
        api_key="sk-remote",
        api_base="http://elsewhere.invalid",
        media=media,
        temperature=0.25,
        web_search=False,
        callback=lambda: None,
        handle=object(),
        empty=None,
    )
    [request] = [r for r in Upstream.seen if r["path"].endswith("/conversation")]
    body, headers = request["body"], request["headers"]
    assert body["model"] == "gpt-x" and body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["media"] == [
        ["data:image/png;base64," + base64.b64encode(png).decode(), "cat.png"],
        ["data:text/plain;base64,aGk=", "note.txt"],
    ]
    assert body["api_key"] == "sk-remote"
    assert body["temperature"] == 0.25 and body["web_search"] is False
    assert not {"callback", "handle", "empty", "api_base"} & set(
        body
    )  # non-JSON, empty and local-only kwargs stay home
    assert headers["Authorization"] == "token jupyter-token-123"
    assert headers["X-Client"] == "g4f-jupyter-test"
    assert headers["Accept"] == "text/event-stream"


@pytest.mark.asyncio
async def test_models_of_both_eras(remote: str) -> None:
    registry = get_registry()
    assert await registry.get("RemoteNDJSON").get_models() == ["gpt-x", "gpt-y"]
    assert await registry.get("RemoteSSE").get_models() == ["m1", "m2", "A:m1", "A:m2", "B:m1"]  # + remote providers


@pytest.mark.asyncio
async def test_through_the_runner_keeps_protocol_order(remote: str) -> None:
    events = [e async for e in run_chat(ChatRequest([{"role": "user", "content": "hi"}], provider="RemoteSSE"))]
    kinds = [ev.to_wire(e)["type"] for e in events]
    assert kinds[0] == "provider" and events[0].name == "RemoteSSE"
    assert kinds[-3:] == ["usage", "finish", "log"]  # the remote's usage/finish/log are moved to the end, once
    assert kinds.count("usage") == 1 and kinds.count("finish") == 1
    usage = events[-3]
    assert (
        isinstance(usage, ev.Usage) and (usage.prompt_tokens, usage.completion_tokens) == (5, 2) and not usage.estimated
    )
    assert "".join(e.content for e in events if isinstance(e, ev.Content)) == "Hello"


@pytest.mark.asyncio
async def test_refused_token_is_an_auth_event(remote: str) -> None:
    events = [e async for e in run_chat(ChatRequest([{"role": "user", "content": "hi"}], provider="RemoteLOCKED"))]
    assert [ev.to_wire(e)["type"] for e in events] == ["provider", "auth", "log"]
    assert "token required" in events[1].message and "403" in events[1].message
