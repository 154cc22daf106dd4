"""Answers from network providers relayed by a worker process, on a real server and loopback peers.

The server authenticates, validates and admits a ``/conversation`` turn, sends its headers and
hands the connection to the relay worker, which writes the answer. Every test starts the
worker for real (``c.G4FSettings.relay_processes = 1``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from peers import OpenAICompatible, add_openai

from g4f_jupyter.service import relay_pool, usage_ledger
from g4f_jupyter.store.layout import turns_dir

URL = "backend-api/v2/conversation"


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}}, "G4FSettings": {"relay_processes": 1}}


def chat(provider: str = "Peer", prompt: str = "Say ok.") -> dict[str, Any]:
    return {"provider": provider, "messages": [{"role": "user", "content": prompt}]}


class SlowPeer(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that streams a chunk every 50 ms for 20 s and notes when its client leaves."""

    left: ClassVar[threading.Event] = threading.Event()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for i in range(400):
                chunk = {"choices": [{"delta": {"content": f"t{i} "}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            type(self).left.set()


class KeyedPeer(OpenAICompatible):
    """:class:`OpenAICompatible` that also notes the key each request came with."""

    keys: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        type(self).keys.append(self.headers.get("Authorization", ""))
        super().do_POST()


async def ready_worker() -> relay_pool.Relay:
    [relay] = await relay_pool.wait_ready()
    return relay


def turn_lines() -> list[dict[str, Any]]:
    path = turns_dir() / f"{usage_ledger.day_of(usage_ledger.clock())}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def post(
    server_url: str, auth: dict[str, str], body: dict[str, Any], query: str = ""
) -> httpx.Response:
    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
        return await client.post(server_url + URL + query, json=body)


def cookie_names(response: httpx.Response) -> list[str]:
    return [value.split("=", 1)[0] for value in response.headers.get_list("set-cookie")]


def contents(response: httpx.Response) -> str:
    events = [json.loads(line) for line in response.text.splitlines()]
    return "".join(e["content"] for e in events if e["type"] == "content")


def comparable(response: httpx.Response) -> list[tuple[str, str]]:
    """The headers in order, without the ones that differ from one answer to the next by their nature."""
    changing = {"date", "set-cookie", "connection"}
    return [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in changing]


@pytest.mark.asyncio
async def test_relayed_answer_is_the_one_the_server_gives(
    server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any
) -> None:
    OpenAICompatible.bodies.clear()
    add_openai(user_providers_dir, "Peer", loopback(OpenAICompatible) + "/v1")
    here = await post(server_url, jp_auth_header, chat())  # the worker is not running yet: answered in-process
    assert relay_pool.workers(), "the first turn a worker could take starts one"
    relay = await ready_worker()
    relayed = await post(server_url, jp_auth_header, chat())
    assert here.status_code == relayed.status_code == 200
    assert "connection" not in here.headers
    assert relayed.headers["Connection"] == "close"
    assert comparable(relayed) == comparable(here)
    assert cookie_names(relayed) == cookie_names(here)
    assert relayed.content == here.content
    events = [json.loads(line) for line in relayed.text.splitlines()]
    assert [e["type"] for e in events] == ["provider", "parameters", "content", "content", "usage", "finish"]
    assert contents(relayed) == "openai ok"
    assert OpenAICompatible.bodies[0] == OpenAICompatible.bodies[1], "the peer was asked the same both times"
    sse = await post(server_url, jp_auth_header, chat(), "?format=sse")
    assert sse.headers["Connection"] == "close" and sse.headers["Content-Type"] == "text/event-stream"
    data = [json.loads(line[len("data: "):]) for line in sse.text.splitlines() if line.startswith("data: ")]
    assert data == events
    assert relay.process.poll() is None


@pytest.mark.asyncio
async def test_client_leaving_stops_the_peer_and_records_the_turn_once(
    server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any
) -> None:
    SlowPeer.left.clear()
    add_openai(user_providers_dir, "Peer", loopback(SlowPeer) + "/v1")
    await ready_worker()
    async with (
        httpx.AsyncClient(headers=jp_auth_header, timeout=30) as client,
        client.stream("POST", server_url + URL, json=chat()) as response,
    ):
        assert response.headers["Connection"] == "close"
        contents = 0
        async for line in response.aiter_lines():
            contents += json.loads(line)["type"] == "content"
            if contents == 3:
                break  # leave mid-answer: the connection closes with the context
    left = await asyncio.to_thread(SlowPeer.left.wait, 10)
    assert left, "the worker closed its request to the peer when the client left"
    deadline = time.monotonic() + 10
    while not turn_lines() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # a second line, if anything wrote one, would be there by now
    [line] = turn_lines()
    assert line["provider"] == "Peer" and line["model"] == "m" and line["estimated"] is True


@pytest.mark.asyncio
async def test_a_finished_answer_is_recorded_once(
    server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any
) -> None:
    add_openai(user_providers_dir, "Peer", loopback(OpenAICompatible) + "/v1")
    await ready_worker()
    relayed = await post(server_url, jp_auth_header, chat())
    assert relayed.headers["Connection"] == "close"
    [line] = turn_lines()
    assert (line["provider"], line["model"]) == ("Peer", "m")
    assert line["tokens"] == json.loads(relayed.text.splitlines()[-2])["usage"]["total_tokens"]


@pytest.mark.asyncio
async def test_bad_input_is_still_a_json_error_from_the_server(
    server_url: str, raw_fetch: Any, error_message: Any, user_providers_dir: Path, loopback: Any
) -> None:
    add_openai(user_providers_dir, "Peer", loopback(OpenAICompatible) + "/v1")
    await ready_worker()
    bad = await raw_fetch(URL, "POST", body=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.code == 400 and error_message(bad) == "Invalid JSON data"
    unknown = await raw_fetch(URL, "POST", body=chat("NoSuchProvider"))
    assert unknown.code == 404 and "NoSuchProvider" in error_message(unknown)
    hot = await raw_fetch(URL, "POST", body={**chat(), "temperature": 7})
    assert hot.code == 400 and error_message(hot).startswith("temperature")
    assert turn_lines() == []


@pytest.mark.asyncio
async def test_the_environment_reaches_the_worker(
    server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    KeyedPeer.keys.clear()
    base = loopback(KeyedPeer) + "/v1"
    add_openai(user_providers_dir, "Peer", base, api_key_env='"RELAY_TEST_KEY"', needs_auth="true")
    monkeypatch.setenv("RELAY_TEST_KEY", "first")
    await ready_worker()
    monkeypatch.setenv("RELAY_TEST_KEY", "second")  # set after the worker started
    relayed = await post(server_url, jp_auth_header, chat())
    assert relayed.headers["Connection"] == "close"
    assert KeyedPeer.keys == ["Bearer second"]


ONE_AT_A_TIME = {
    "ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}},
    "G4FSettings": {"relay_processes": 1, "policy": {"*": {"max_streams": 1}}},
}


@pytest.mark.asyncio
@pytest.mark.parametrize("jp_server_config", [ONE_AT_A_TIME])
async def test_an_answer_slot_moves_with_the_connection(
    server_url: str, jp_auth_header: dict[str, str], raw_fetch: Any,
    error_message: Any, user_providers_dir: Path, loopback: Any,
) -> None:
    add_openai(user_providers_dir, "Peer", loopback(SlowPeer) + "/v1")
    add_openai(user_providers_dir, "Quick", loopback(OpenAICompatible) + "/v1")
    await ready_worker()
    async with (
        httpx.AsyncClient(headers=jp_auth_header, timeout=30) as client,
        client.stream("POST", server_url + URL, json=chat()) as response,
    ):
        assert response.headers["Connection"] == "close"
        lines = response.aiter_lines()  # kept: a dropped line iterator closes the response when collected
        async for line in lines:
            if json.loads(line)["type"] == "content":
                break
        refused = await raw_fetch(URL, "POST", body=chat("Quick"))
        assert refused.code == 429, "the worker holds the slot the server took"
        assert "at most 1 answers at a time" in error_message(refused)
    deadline = time.monotonic() + 10
    while (answer := await raw_fetch(URL, "POST", body=chat("Quick"))).code == 429 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert answer.code == 200, "the worker freed the slot when the client left"


@pytest.mark.asyncio
async def test_a_killed_worker_is_replaced_and_answers_go_on_meanwhile(
    server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_openai(user_providers_dir, "Peer", loopback(OpenAICompatible) + "/v1")
    first = await ready_worker()
    with caplog.at_level(logging.WARNING, logger="g4f_jupyter.service.relay_pool"):
        os.kill(first.pid, signal.SIGKILL)
        await asyncio.wait_for(asyncio.shield(first.exited), 10)
    assert f"g4f relay worker (pid {first.pid}) exited (code -9); answers stream in the server's process" in caplog.text
    meanwhile = await post(server_url, jp_auth_header, chat())
    assert meanwhile.status_code == 200 and "connection" not in meanwhile.headers, "answered in the server's process"
    assert contents(meanwhile) == "openai ok"
    monkeypatch.setattr(relay_pool, "RESTART_SECONDS", 0.0)
    await post(server_url, jp_auth_header, chat())  # the next turn a worker could take starts one again
    second = await ready_worker()
    assert second.pid != first.pid
    relayed = await post(server_url, jp_auth_header, chat())
    assert relayed.headers["Connection"] == "close"


@pytest.mark.asyncio
async def test_stopping_the_extension_ends_the_worker(
    jp_serverapp: Any, server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any
) -> None:
    add_openai(user_providers_dir, "Peer", loopback(OpenAICompatible) + "/v1")
    relay = await ready_worker()
    assert (await post(server_url, jp_auth_header, chat())).headers["Connection"] == "close"
    await jp_serverapp.cleanup_extensions()  # what the server runs on shutdown
    assert relay.process.poll() is not None, "the worker has exited"
    assert relay_pool.workers() == []


@pytest.mark.asyncio
async def test_the_embedded_model_is_never_relayed(
    server_url: str, jp_auth_header: dict[str, str], user_providers_dir: Path, loopback: Any
) -> None:
    add_openai(user_providers_dir, "Peer", loopback(OpenAICompatible) + "/v1")
    await ready_worker()
    local = await post(server_url, jp_auth_header, {**chat("Local"), "max_tokens": 2})
    assert local.status_code == 200 and "connection" not in local.headers
    assert json.loads(local.text.splitlines()[0])["provider"]["name"] == "Local"
