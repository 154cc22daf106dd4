"""One request path: /conversation, /create and ask() validate alike, fall back alike and fail alike.

Real server, real HTTP; the providers are loopback servers speaking the real protocols
(tests/server/peers.py), so what a request forwards is what went over the socket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from forms import multipart
from peers import OpenAICompatible, Peer, add_openai, add_peer

import g4f_jupyter
from g4f_jupyter.errors import BadRequestError, G4FError

CONVERSATION = "backend-api/v2/conversation"
CREATE = "backend-api/v2/create"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def peer(loopback: Callable[..., str], user_providers_dir: Path) -> str:
    """A provider ``Peer`` (another /backend-api/v2 server) that records what it is sent."""
    Peer.bodies.clear()
    add_peer(user_providers_dir, "Peer", loopback(Peer))
    return "Peer"


def _ndjson(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.body.decode().splitlines()]


# --- /conversation: typed fields, checked before the stream --------------------------------

BAD_FIELDS = [
    ({"max_tokens": "abc"}, "max_tokens"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"temperature": "hot"}, "temperature"),
    ({"temperature": 7}, "temperature"),
    ({"top_p": [1]}, "top_p"),
    ({"stop": 5}, "stop"),
    ({"seed": 10**30}, "seed"),
    ({"presence_penalty": {"a": 1}}, "presence_penalty"),
    ({"media": 5}, "media"),
    ({"media": [["data:,x"]]}, "media[0]"),
    ({"ignored": "Local"}, "ignored"),
    ({"api_key": 5}, "api_key"),
    ({"provider": ["Local"]}, "provider"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ({"messages": [{"content": "hi"}]}, "messages[0].role"),
    ({"messages": "hi"}, "messages"),
    ({"messages": []}, "messages"),
    ({"web_search": 3}, "web_search"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("fields", "named"), BAD_FIELDS)
async def test_a_bad_field_is_a_400_naming_it_before_any_stream(
    fields: dict[str, Any], named: str, peer: str, raw_fetch: Any, error_message: Any
) -> None:
    response = await raw_fetch(CONVERSATION, "POST", body={"messages": HI, "provider": peer, **fields})
    message = error_message(response)
    assert response.code == 400 and message.startswith(named) and message[len(named)] in " :[.", message
    assert Peer.bodies == []  # refused before the provider was asked


@pytest.mark.asyncio
async def test_json_nested_too_deep_or_with_lone_surrogates_is_400(raw_fetch: Any, error_message: Any) -> None:
    headers = {"Content-Type": "application/json"}
    deep = b'{"messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = await raw_fetch(CONVERSATION, "POST", body=deep, headers=headers)
    assert response.code == 400 and "nested deeper than 200" in error_message(response)
    for text in (rb'"\ud800"', rb'"a\udc00b"', rb'"\ud800\u0041"'):
        body = b'{"messages": [{"role": "user", "content": ' + text + b"}]}"
        response = await raw_fetch(CONVERSATION, "POST", body=body, headers=headers)
        assert response.code == 400 and "not Unicode text" in error_message(response)
    response = await raw_fetch(CONVERSATION, "POST", body=b'{"messages": NaN}', headers=headers)
    assert response.code == 400 and error_message(response) == "Invalid JSON data"


@pytest.mark.asyncio
async def test_options_arrive_typed_and_unknown_fields_are_forwarded(peer: str, raw_fetch: Any) -> None:
    body = {
        "messages": HI, "provider": peer, "model": "m", "temperature": "0.5", "max_tokens": 7, "stop": ["\n\n"],
        "conversation_id": "c-1", "action": "next", "custom_switch": {"depth": [1, 2]}, "api_key": {"peer": "k-peer"},
    }
    response = await raw_fetch(CONVERSATION, "POST", body=body)
    assert response.code == 200 and [e["type"] for e in _ndjson(response)][-2:] == ["usage", "finish"]
    [sent] = Peer.bodies
    assert sent["temperature"] == 0.5 and sent["max_tokens"] == 7 and sent["stop"] == ["\n\n"]
    assert sent["custom_switch"] == {"depth": [1, 2]}  # unknown fields go to the provider, as the protocol says
    assert sent["api_key"] == "k-peer"  # one key per provider name: the chosen provider's entry (any case)
    assert "conversation_id" not in sent and "action" not in sent  # they steer the page, not the model


@pytest.mark.asyncio
async def test_multipart_media_and_header_key_reach_the_provider(peer: str, raw_fetch: Any) -> None:
    data, headers = multipart([
        ("json", None, json.dumps({"messages": HI, "provider": peer}).encode()),
        ("files", "cat.png", b"\x89PNG-bytes"),
        ("files", "notes.exe", b"MZ"),
    ])
    response = await raw_fetch(CONVERSATION, "POST", body=data, headers={**headers, "x_api_key": "k-h"})
    assert response.code == 200
    [sent] = Peer.bodies
    assert [name for _, name in sent["media"]] == ["cat.png"]  # only media are attached
    assert sent["media"][0][0].startswith("data:image/png;base64,") and sent["api_key"] == "k-h"


@pytest.mark.asyncio
async def test_the_operators_default_provider_serves_requests_naming_none(
    peer: str, raw_fetch: Any, jp_serverapp: Any
) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].default_provider = peer
    response = await raw_fetch(CONVERSATION, "POST", body={"messages": HI})
    assert response.code == 200 and _ndjson(response)[0]["provider"]["name"] == peer
    assert len(Peer.bodies) == 1


# --- /create: the same builder, the same statuses ------------------------------------------


@pytest.mark.asyncio
async def test_create_fails_with_the_statuses_of_conversation(
    peer: str, raw_fetch: Any, error_message: Any, loopback: Callable[..., str], user_providers_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_peer(user_providers_dir, "Broken", loopback(Peer) + "/fail")
    add_openai(user_providers_dir, "Down", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("G4F_TEST_UNSET_KEY", raising=False)
    keyed = {"api_key_env": '"G4F_TEST_UNSET_KEY"', "needs_auth": "true"}
    add_openai(user_providers_dir, "Keyed", "http://127.0.0.1:9/v1", **keyed)
    cases = [
        ({"provider": "NoSuchProvider"}, 404, "NoSuchProvider"),
        ({"provider": peer, "model": "no-such-model"}, 404, "no-such-model"),
        ({"provider": "Keyed"}, 401, "G4F_TEST_UNSET_KEY"),
        ({"provider": peer, "max_tokens": "abc"}, 400, "max_tokens"),
        ({"provider": peer, "temperature": "hot"}, 400, "temperature"),
        ({"provider": "Broken"}, 502, "HTTP 500"),
        ({"provider": "Down"}, 502, "Down"),
    ]
    for params, status, named in cases:
        response = await raw_fetch(f"{CREATE}?{urlencode({'prompt': 'hi', **params})}")
        assert (response.code, named in error_message(response)) == (status, True), (params, response.body)


@pytest.mark.asyncio
async def test_create_honours_api_base_base_url_and_the_header(
    raw_fetch: Any, loopback: Callable[..., str]
) -> None:
    OpenAICompatible.bodies.clear()
    base = loopback(OpenAICompatible) + "/v1"
    for query, headers in (({"api_base": base}, {}), ({"base_url": base}, {}), ({}, {"x-api-base": base})):
        params = urlencode({"prompt": "hi", "provider": "Custom", "model": "m", "max_tokens": "5", **query})
        response = await raw_fetch(f"{CREATE}?{params}", headers=headers)
        assert (response.code, response.body) == (200, b"openai ok")
    assert [b["max_tokens"] for b in OpenAICompatible.bodies] == [5, 5, 5]


@pytest.mark.asyncio
async def test_create_takes_a_json_body_with_typed_values(peer: str, raw_fetch: Any) -> None:
    body = {"prompt": "hi", "provider": peer, "stop": ["a", "b"], "temperature": 0.25, "filter_markdown": False}
    response = await raw_fetch(CREATE, "POST", body=body)
    assert (response.code, response.body) == (200, b"peer ok")
    assert Peer.bodies[0]["stop"] == ["a", "b"] and Peer.bodies[0]["temperature"] == 0.25


@pytest.mark.asyncio
async def test_create_takes_a_form_body(peer: str, raw_fetch: Any, error_message: Any) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode({"prompt": "hi", "provider": peer, "max_tokens": "3"})
    response = await raw_fetch(CREATE, "POST", body=body, headers=form)
    assert (response.code, response.body) == (200, b"peer ok") and Peer.bodies[0]["max_tokens"] == 3
    response = await raw_fetch(CREATE, "POST", body=b"prompt=%FF", headers=form)
    assert response.code == 400 and error_message(response).startswith("prompt")


# --- ask(): the Python door ----------------------------------------------------------------


def test_ask_validates_like_the_http_route(peer: str) -> None:
    for kwargs, named in (
        ({"max_tokens": "abc"}, "max_tokens"),
        ({"top_p": [1]}, "top_p"),
        ({"media": [(b"png", 5)]}, "media[0]"),
        ({"custom": object()}, "custom"),
        ({"ignored": 5}, "ignored"),
    ):
        with pytest.raises(BadRequestError, match="^" + re.escape(named) + r"[ :\[.]"):
            g4f_jupyter.ask("hi", provider=peer, **kwargs)
    with pytest.raises(BadRequestError, match=r"^messages\[0\]\.content: .*surrogate"):
        g4f_jupyter.ask("bad \ud800 text", provider=peer)
    assert Peer.bodies == []


def test_ask_uses_the_operators_default_provider(peer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G4F_JUPYTER_DEFAULT_PROVIDER", peer)  # as the server exports it to its kernels
    assert g4f_jupyter.ask("hi") == "peer ok"
    monkeypatch.setenv("G4F_JUPYTER_DEMO_MODE", "1")  # demo mode pins the embedded provider: a 404 here
    with pytest.raises(G4FError, match="Local has no model"):
        g4f_jupyter.ask("hi", model="m")


def test_ask_honours_ignored_and_media(
    loopback: Callable[..., str], user_providers_dir: Path
) -> None:
    Peer.bodies.clear()
    add_peer(user_providers_dir, "First", loopback(Peer) + "/fail", models=("shared",), order=1)
    add_peer(user_providers_dir, "Second", loopback(Peer), models=("shared",), order=2)
    answered = [e for e in g4f_jupyter.stream("hi", model="shared", ignored=["first"]) if e.type == "provider"]
    assert answered[0].name == "Second" and len(Peer.bodies) == 1  # then the peer's own provider event
    assert g4f_jupyter.ask("what is this?", provider="Second", media=[(b"\x89PNG", "a.png")]) == "peer ok"
    assert [name for _, name in Peer.bodies[-1]["media"]] == ["a.png"]


def test_ask_raises_the_status_of_a_failed_provider(loopback: Callable[..., str], user_providers_dir: Path) -> None:
    add_peer(user_providers_dir, "Broken", loopback(Peer) + "/fail")
    with pytest.raises(G4FError) as failure:
        g4f_jupyter.ask("hi", provider="Broken")
    assert failure.value.status == 502


# --- query strings ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_query_numbers_are_range_checked(raw_fetch: Any, error_message: Any) -> None:
    for query, named in (
        ("page_size=99999999999999999999", "page_size"),
        ("page_size=0", "page_size"),
        ("page=-1", "page"),
        ("page=1e3", "page"),
        ("search=x&page_size=abc", "page_size"),
    ):
        response = await raw_fetch(f"backend-api/v2/memory/alice?{query}")
        assert response.code == 400 and error_message(response).startswith(named), query
    response = await raw_fetch("backend-api/v2/memory/alice?page_size=1000&page=2147483647")
    assert response.code == 200 and json.loads(response.body) == {"results": [], "count": 0}


@pytest.mark.asyncio
async def test_speech_voice_is_checked(raw_fetch: Any, error_message: Any) -> None:
    response = await raw_fetch("backend-api/v2/synthesize/Local?text=hi&voice=nosuchvoice")
    assert response.code == 404 and "nosuchvoice" in error_message(response)
    response = await raw_fetch("backend-api/v2/synthesize/Local?text=hi&voice=../../etc")
    assert response.code == 400 and error_message(response).startswith("voice")
    response = await raw_fetch("backend-api/v2/synthesize/Local?" + urlencode({"text": "x" * 5001}))
    assert response.code == 400 and error_message(response).startswith("text")
