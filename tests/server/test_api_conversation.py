"""POST /backend-api/v2/conversation against the real server and the real embedded model."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from forms import multipart
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

import g4f_jupyter
from g4f_jupyter.core.events import Content, Finish, Usage

URL = "backend-api/v2/conversation"


def body(prompt: str = "Say hello.", **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": prompt}], "max_tokens": 24, "seed": 1, "temperature": 0, **extra}


@pytest.mark.asyncio
async def test_invalid_json_is_400(error_message, raw_fetch) -> None:
    response = await raw_fetch(URL, "POST", body=b"{not json", headers={"Content-Type": "application/json"})
    assert response.code == 400 and error_message(response) == "Invalid JSON data"


@pytest.mark.asyncio
async def test_missing_messages_is_400(error_message, raw_fetch) -> None:
    response = await raw_fetch(URL, "POST", body={"model": "", "messages": []})
    assert response.code == 400 and "messages" in error_message(response)


@pytest.mark.asyncio
async def test_unknown_provider_and_model_are_404(error_message, raw_fetch) -> None:
    response = await raw_fetch(URL, "POST", body=body(provider="NoSuchProvider"))
    assert response.code == 404 and "NoSuchProvider" in error_message(response)
    response = await raw_fetch(URL, "POST", body=body(provider="Local", model="no-such-model"))
    assert response.code == 404 and "no-such-model" in error_message(response)


@pytest.mark.asyncio
async def test_missing_key_is_401(error_message, raw_fetch, user_providers_dir, monkeypatch) -> None:
    monkeypatch.delenv("G4F_TEST_UNSET_KEY", raising=False)
    (user_providers_dir / "Keyed.toml").write_text(
        'name = "Keyed"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "G4F_TEST_UNSET_KEY"\nneeds_auth = true\nmodels = ["k-1"]\n'
    )
    response = await raw_fetch(URL, "POST", body=body(provider="Keyed"))
    assert response.code == 401 and "G4F_TEST_UNSET_KEY" in error_message(response)


@pytest.mark.asyncio
async def test_body_too_large_is_413(error_message, raw_fetch, jp_serverapp) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].max_body_bytes = 2000
    response = await raw_fetch(URL, "POST", body=body("x" * 5000))
    assert response.code == 413 and "2000" in error_message(response)


@pytest.mark.asyncio
async def test_stream_arrives_incrementally_in_protocol_order(server_url, jp_auth_header) -> None:
    started = time.monotonic()
    chunks: list[tuple[float, bytes]] = []
    request = HTTPRequest(
        server_url + URL, method="POST", body=json.dumps(body("Tell me about the sea.", max_tokens=40)),
        headers={**jp_auth_header, "Content-Type": "application/json", "Accept": "text/event-stream"},
        streaming_callback=lambda chunk: chunks.append((time.monotonic(), chunk)), request_timeout=120,
    )
    response = await AsyncHTTPClient().fetch(request)
    ended = time.monotonic()
    assert response.code == 200 and response.headers["Content-Type"] == "text/event-stream"
    raw = b"".join(c for _, c in chunks).decode()
    assert raw.endswith("\n") and "\n\n" not in raw  # NDJSON: no blank lines
    events = [json.loads(line) for line in raw.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "provider" and events[0]["provider"]["name"] == "Local"
    assert types[1] == "parameters"
    assert types[-2:] == ["usage", "finish"] and events[-1]["finish"]["reason"] in ("stop", "length")
    assert set(types[2:-2]) == {"content"} and "".join(e["content"] for e in events[2:-2]).strip()
    # incremental: the first content line reached us in an earlier chunk than the finish line
    first_content = next(t for t, c in chunks if b'"type":"content"' in c)
    finish_at = next(t for t, c in chunks if b'"type":"finish"' in c)
    assert first_content < finish_at and len(chunks) > 3
    assert started < first_content < ended


@pytest.mark.asyncio
async def test_sse_framing_on_request(error_message, raw_fetch) -> None:
    response = await raw_fetch(URL + "?format=sse", "POST", body=body())
    assert response.code == 200
    blocks = response.body.decode().split("\n\n")
    assert blocks[-1] == ""
    parsed = []
    for block in blocks[:-1]:
        event_line, data_line = block.split("\n")
        kind = event_line.removeprefix("event: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == kind
        parsed.append(kind)
    assert parsed[0] == "provider" and parsed[-2:] == ["usage", "finish"]


@pytest.mark.asyncio
async def test_multipart_with_files_keeps_only_media(error_message, raw_fetch) -> None:
    parts = [
        ("json", None, json.dumps(body("Describe the picture.")).encode()),
        ("files", "pic.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32),
        ("files", "notes.exe", b"MZ"),
    ]
    payload, headers = multipart(parts)
    response = await raw_fetch(URL, "POST", body=payload, headers=headers)
    assert response.code == 200
    types = [json.loads(line)["type"] for line in response.body.decode().splitlines()]
    assert types[0] == "provider" and types[-1] == "finish"
    bad = payload.replace(json.dumps(body("Describe the picture.")).encode(), b"{broken")
    response = await raw_fetch(URL, "POST", body=bad, headers=headers)
    assert response.code == 400 and error_message(response) == "Invalid JSON data"


@pytest.mark.asyncio
async def test_client_disconnect_frees_the_model(server_url, jp_auth_header) -> None:
    url = server_url + URL
    long = body("Write a very long essay about the history of Rome, at least 3000 words.", max_tokens=1500)
    async with (
        httpx.AsyncClient(headers=jp_auth_header, timeout=60) as client,
        client.stream("POST", url, json=long) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if json.loads(line)["type"] == "content":
                break  # leave mid-stream: the connection closes with the context
    # unless the first generation was cancelled, the single local worker is busy for ~20 s more
    start = time.monotonic()
    async with (
        httpx.AsyncClient(headers=jp_auth_header, timeout=60) as client,
        client.stream("POST", url, json=body("Say hi.", max_tokens=8)) as response,
    ):
        async for line in response.aiter_lines():
            if json.loads(line)["type"] == "content":
                break
    assert time.monotonic() - start < 5.0


@pytest.mark.asyncio
async def test_backend_api_driver_end_to_end(server_url, jp_serverapp, user_providers_dir) -> None:
    token = jp_serverapp.identity_provider.token
    (user_providers_dir / "Remote.toml").write_text(
        f'name = "Remote"\ndriver = "backend_api"\napi_base = "{server_url.rstrip("/")}"\nlive_models = true\n'
        f'default_model = ""\n\n[settings]\ntoken = "{token}"\n'
    )
    stream = g4f_jupyter.astream("Say hello.", provider="Remote", max_tokens=16, seed=1, temperature=0)
    events = [e async for e in stream]
    text = "".join(e.content for e in events if isinstance(e, Content))
    assert text.strip()
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.completion_tokens > 0 and usage.extra["provider"] == "Remote"
    assert isinstance(events[-1], Finish) or any(isinstance(e, Finish) for e in events)
    assert await g4f_jupyter.aask("Say hi.", provider="Remote", max_tokens=8)
