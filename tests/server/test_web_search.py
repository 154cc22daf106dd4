"""Web search in /conversation and /create against a loopback server speaking SearXNG's JSON API."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from peers import Peer, add_peer

from g4f_jupyter.service.search import NOT_SEARCHED

V2 = "backend-api/v2"


class SearXNG(BaseHTTPRequestHandler):
    """``GET /search?q=…&format=json`` as SearXNG answers it; records every query."""

    queries: ClassVar[list[dict[str, list[str]]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        type(self).queries.append(query)
        results = [
            {"title": "Tides explained", "url": "https://example.org/tides", "content": "The moon pulls the sea."},
            {"title": "No link"},  # an entry without a URL is skipped
            {"title": "Ocean FAQ", "url": "https://example.net/faq", "content": "Two tides a day."},
        ]
        payload = json.dumps({"query": query.get("q", [""])[0], "results": results}).encode()
        self.send_response(200 if url.path == "/search" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


@pytest.fixture
def searxng(loopback, monkeypatch) -> str:
    SearXNG.queries.clear()
    base = loopback(SearXNG)
    monkeypatch.setenv("G4F_JUPYTER_SEARXNG_URL", base)
    return base


@pytest.fixture
def peer(loopback, user_providers_dir) -> str:
    Peer.bodies.clear()
    add_peer(user_providers_dir, "Remote", loopback(Peer))
    return "Remote"


def chat(prompt: Any, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": prompt}], "provider": "Remote", **extra}


@pytest.mark.asyncio
async def test_conversation_puts_results_and_sources_into_the_prompt(searxng, peer, raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat("Why are there tides?", web_search=True))
    events = lines(response.body)
    assert response.code == 200 and SearXNG.queries[0]["q"] == ["Why are there tides?"]
    assert SearXNG.queries[0]["format"] == ["json"]
    sent = Peer.bodies[-1]["messages"][-1]["content"]
    assert "The moon pulls the sea." in sent and "Source: https://example.net/faq" in sent
    assert sent.endswith("Why are there tides?") and "No link" not in sent
    logs = [e["log"] for e in events if e["type"] == "log"]
    assert len(logs) == 1 and "https://example.org/tides" in logs[0] and "https://example.net/faq" in logs[0]
    assert [e["type"] for e in events][-2:] == ["finish", "log"]  # sources after the answer, logs last


@pytest.mark.asyncio
async def test_conversation_searches_a_given_query_and_keeps_file_parts(searxng, peer, raw_fetch) -> None:
    content = [{"type": "text", "text": "Summarise."}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat(content, web_search="moon tides"))
    assert response.code == 200 and SearXNG.queries[0]["q"] == ["moon tides"]
    sent = Peer.bodies[-1]["messages"][-1]["content"]
    assert sent[0]["type"] == "image_url" and "Ocean FAQ" in sent[1]["text"]


@pytest.mark.asyncio
async def test_web_search_false_string_does_not_search(searxng, peer, raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat("Hi.", web_search="false"))
    assert response.code == 200 and SearXNG.queries == []
    assert Peer.bodies[-1]["messages"][-1]["content"] == "Hi."
    assert not [e for e in lines(response.body) if e["type"] == "log"]


@pytest.mark.asyncio
async def test_unreachable_search_is_one_clear_event(peer, raw_fetch, monkeypatch) -> None:
    monkeypatch.setenv("G4F_JUPYTER_SEARXNG_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat("Hi.", web_search=True))
    events = lines(response.body)
    notes = [e["log"] for e in events if e["type"] == "log" and NOT_SEARCHED in e["log"]]
    assert response.code == 200 and len(notes) == 1 and "127.0.0.1:9" in notes[0]
    assert Peer.bodies[-1]["messages"][-1]["content"] == "Hi."  # the answer still comes, unsearched
    assert any(e["type"] == "content" for e in events)


@pytest.mark.asyncio
async def test_unconfigured_search_says_so(peer, raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat("Hi.", web_search=True))
    notes = [e["log"] for e in lines(response.body) if e["type"] == "log"]
    assert response.code == 200 and len(notes) == 1 and notes[0].startswith(NOT_SEARCHED)


@pytest.mark.asyncio
async def test_create_searches_through_the_same_backend(searxng, peer, raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/create?provider=Remote&prompt=Tides%3F&web_search=sea+tides")
    assert response.code == 200 and response.body == b"peer ok"
    assert SearXNG.queries[0]["q"] == ["sea tides"]
    assert "example.org/tides" in Peer.bodies[-1]["messages"][-1]["content"]
