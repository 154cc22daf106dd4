"""``POST backend-api/v2/complete`` against OpenAI-compatible peers on real loopback sockets.

One peer has ``/v1/completions`` and fills in the middle from ``prompt`` + ``suffix``; the
other has only ``/v1/chat/completions`` and answers with a fenced block, as chat models do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from g4f_jupyter.service.complete import CompleteBody

URL = "backend-api/v2/complete"
PREFIX = "class Counter:\n    def bump(self):\n        x = se"
SUFFIX = "\n\nprint(Counter().bump())\n"


class _OpenAIPeer(BaseHTTPRequestHandler):
    """Records (path, body) of every POST; streams SSE like llama.cpp's and vLLM's servers."""

    seen: ClassVar[list[tuple[str, dict[str, Any]]]]
    has_completions: ClassVar[bool]

    def log_message(self, *args: Any) -> None:
        pass

    def _stream(self, chunks: list[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, body))
        if self.path == "/v1/chat/completions":
            answer = ["Here it is:\n```python\n", "        x = self.value", " + 1\n", "```\nDone."]
            self._stream([{"choices": [{"delta": {"content": piece}}]} for piece in answer])
        elif self.path == "/v1/completions" and self.has_completions:
            pieces = ["lf.value", " + 1\n", "        return x\n"]
            self._stream([{"choices": [{"text": piece, "index": 0, "finish_reason": None}]} for piece in pieces])
        else:
            payload = b'{"error": {"message": "Not Found"}}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)


def peer(completions: bool) -> type[_OpenAIPeer]:
    return type("Peer", (_OpenAIPeer,), {"seen": [], "has_completions": completions})


def add_provider(directory: Path, name: str, base: str) -> None:
    (directory / f"{name}.toml").write_text(
        f'name = "{name}"\ndriver = "openai"\napi_base = "{base}/v1"\nmodels = ["m"]\n', "utf-8"
    )


def complete_body(**extra: Any) -> dict[str, Any]:
    return {"prefix": PREFIX, "suffix": SUFFIX, "language": "python", "path": "counter.py", **extra}


def events(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


def suggestion(found: list[dict[str, Any]]) -> str:
    return "".join(e["content"] for e in found if e["type"] == "content")


@pytest.mark.asyncio
async def test_a_server_with_completions_gets_the_suffix(raw_fetch, loopback, user_providers_dir) -> None:
    handler = peer(completions=True)
    add_provider(user_providers_dir, "Fim", loopback(handler))
    response = await raw_fetch(URL, "POST", body=complete_body(provider="Fim", cell_context="import os\n"))
    assert response.code == 200
    found = events(response.body)
    assert found[0]["type"] == "provider" and found[0]["provider"]["name"] == "Fim"
    assert [e["type"] for e in found][-2:] == ["usage", "finish"]
    assert suggestion(found) == "lf.value + 1"  # the statement ends with its line: the rest was not shown
    [(path, sent)] = handler.seen
    assert path == "/v1/completions"
    assert sent["suffix"] == SUFFIX and sent["prompt"] == "import os\n\n" + PREFIX
    assert sent["model"] == "m" and sent["stream"] is True and sent["temperature"] == 0


@pytest.mark.asyncio
async def test_a_server_without_completions_gets_the_chat(raw_fetch, loopback, user_providers_dir) -> None:
    handler = peer(completions=False)
    add_provider(user_providers_dir, "ChatOnly", loopback(handler))
    first = await raw_fetch(URL, "POST", body=complete_body(provider="ChatOnly", max_tokens=40))
    assert first.code == 200
    assert suggestion(events(first.body)) == "lf.value + 1"  # the fence, the prose and the repeated head cut off
    assert [path for path, _ in handler.seen] == ["/v1/completions", "/v1/chat/completions"]
    chat = handler.seen[1][1]
    assert chat["max_tokens"] == 40
    assert chat["messages"][-1]["content"].endswith(f"{PREFIX}<CURSOR>{SUFFIX}")
    second = await raw_fetch(URL, "POST", body=complete_body(provider="ChatOnly"))
    assert suggestion(events(second.body)) == "lf.value + 1"
    assert [path for path, _ in handler.seen][2:] == ["/v1/chat/completions"]  # no second try of /completions


@pytest.mark.asyncio
async def test_the_operator_chooses_the_completion_provider(
    raw_fetch, loopback, user_providers_dir, jp_serverapp
) -> None:
    handler = peer(completions=True)
    add_provider(user_providers_dir, "TeamModel", loopback(handler))
    jp_serverapp.web_app.settings["g4f_settings"].completion_provider = "TeamModel"
    response = await raw_fetch(URL + "?format=sse", "POST", body=complete_body())
    blocks = [block.split("\n") for block in response.body.decode().split("\n\n") if block]
    kinds = [event.removeprefix("event: ") for event, _ in blocks]
    assert kinds[0] == "provider" and kinds[-2:] == ["usage", "finish"]
    assert json.loads(blocks[0][1].removeprefix("data: "))["provider"]["name"] == "TeamModel"
    assert len(handler.seen) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"suffix": "", "language": "python", "path": "a.py"}, 400, "prefix is required"),
        (complete_body(prefix=7), 400, "prefix: Input should be a valid string"),
        (complete_body(language=None), 400, "language: Input should be a valid string"),
        (complete_body(max_tokens=0), 400, "max_tokens: Input should be greater than or equal to 1"),
        (complete_body(stop=[1]), 400, "stop"),
        (complete_body(colour="red"), 400, "colour: Extra inputs are not permitted"),
        ([PREFIX], 400, "the request body must be a JSON object"),
        (b"{not json", 400, "Invalid JSON data"),
        (complete_body(provider="NoSuchProvider"), 404, "NoSuchProvider"),
    ],
)
async def test_bad_requests_name_the_field(
    raw_fetch, error_message: Callable[..., str], body: Any, status: int, message: str
) -> None:
    headers = {"Content-Type": "application/json"}
    response = await raw_fetch(URL, "POST", body=body, headers=headers)
    assert response.code == status
    assert message in error_message(response)


@pytest.mark.asyncio
async def test_reading_ahead_asks_nothing_of_a_remote_provider(raw_fetch, loopback, user_providers_dir) -> None:
    handler = peer(completions=True)
    add_provider(user_providers_dir, "Fim", loopback(handler))
    response = await raw_fetch(URL, "POST", body=complete_body(provider="Fim", action="prepare"))
    assert response.code == 204 and response.body == b""
    assert handler.seen == []  # it keeps no context of ours to fill
    refused = await raw_fetch(URL, "POST", body=complete_body(provider="Fim", action="guess"))
    assert refused.code == 400


@pytest.mark.asyncio
async def test_anonymous_is_refused(raw_fetch, error_message) -> None:
    response = await raw_fetch(URL, "POST", body=complete_body(), auth=False)
    assert response.code == 403


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.asyncio
async def test_any_value_in_any_field_is_a_clear_answer(
    server_url, jp_auth_header, loopback, user_providers_dir, jp_serverapp
) -> None:
    """Hostile bodies: never a 5xx; every refusal a JSON error with a message (150 cases)."""
    add_provider(user_providers_dir, "Fim", loopback(peer(completions=True)))
    jp_serverapp.web_app.settings["g4f_settings"].completion_provider = "Fim"
    statuses: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(field=st.sampled_from([*CompleteBody.model_fields, "colour"]), value=_values)
    def check(field: str, value: Any) -> None:
        with httpx.Client(base_url=server_url, headers=jp_auth_header, timeout=30) as client:
            response = client.post(URL, json={**complete_body(), field: value})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/json")
            assert response.json()["error"]["message"].strip()

    await asyncio.to_thread(check)
    assert statuses.get(200) and statuses.get(400)  # both kinds of bodies were sent
