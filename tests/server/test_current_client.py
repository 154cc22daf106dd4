"""The request shapes upstream's current web page sends (protocol §9), replayed against a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from peers import Peer, add_peer

V2 = "backend-api/v2"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def peers(loopback: Callable[..., str], user_providers_dir: Path) -> None:
    """Two keyless peers offering model ``shared``, ahead of every catalog provider."""
    Peer.bodies.clear()
    base = loopback(Peer)
    add_peer(user_providers_dir, "First", base, models=("shared", "first-only"), order=-20)
    add_peer(user_providers_dir, "Second", base, models=("shared",), order=-10)


@pytest.mark.asyncio
async def test_providers_say_which_start_enabled(raw_fetch: Any, user_providers_dir: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("G4F_TEST_UNSET_KEY", raising=False)
    (user_providers_dir / "Keyed.toml").write_text(
        'name = "Keyed"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "G4F_TEST_UNSET_KEY"\nneeds_auth = true\nmodels = ["k"]\n', "utf-8"
    )
    providers = {p["name"]: p for p in json.loads((await raw_fetch(f"{V2}/providers")).body)}
    assert all(isinstance(p["active_by_default"], bool) for p in providers.values())
    assert providers["Local"]["active_by_default"] is True  # keyless and working here
    assert providers["Keyed"]["active_by_default"] is False  # its key is not set
    monkeypatch.setenv("G4F_TEST_UNSET_KEY", "sk-set")
    providers = {p["name"]: p for p in json.loads((await raw_fetch(f"{V2}/providers")).body)}
    assert providers["Keyed"]["active_by_default"] is True


@pytest.mark.asyncio
async def test_any_provider_lists_every_model_and_honours_ignored(peers: None, raw_fetch: Any) -> None:
    entries = json.loads((await raw_fetch(f"{V2}/models/AnyProvider")).body)
    by_id = {e["id"]: e for e in entries}
    assert by_id["shared"]["count"] == 2 and by_id["first-only"]["count"] == 1
    assert by_id["SmolLM2-135M-Instruct"]["default"] is True  # the catalog default's model
    assert all(e["model"] == e["id"] and e["label"] for e in entries)
    entries = json.loads((await raw_fetch(f"{V2}/models/AnyProvider?ignored=First+Local")).body)
    by_id = {e["id"]: e for e in entries}
    assert "first-only" not in by_id and "SmolLM2-135M-Instruct" not in by_id and by_id["shared"]["count"] == 1
    entries = json.loads((await raw_fetch(f"{V2}/models/anyprovider", headers={"x-ignored": "First"})).body)
    assert "first-only" not in {e["id"] for e in entries}


@pytest.mark.asyncio
async def test_any_provider_is_automatic_choice(peers: None, raw_fetch: Any) -> None:
    body = {"messages": HI, "provider": "AnyProvider", "model": "shared", "ignored": ["First"], "api_key": {}}
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    events = [json.loads(line) for line in response.body.decode().splitlines()]
    assert response.code == 200 and events[0]["provider"]["name"] == "Second"
    # No model either: the catalog default, unless ignored; then the next provider in order.
    body = {"messages": HI, "provider": "AnyProvider", "model": "", "ignored": ["Local"]}
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    events = [json.loads(line) for line in response.body.decode().splitlines()]
    assert response.code == 200 and events[0]["provider"]["name"] == "First"
    assert [b["model"] for b in Peer.bodies] == ["shared", "shared"]  # First's default model


@pytest.mark.asyncio
async def test_api_key_object_gives_the_chosen_provider_its_key(peers: None, raw_fetch: Any) -> None:
    body = {"messages": HI, "provider": "Second", "api_key": {"First": "k-first", "Second": "k-second"}}
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    assert response.code == 200 and Peer.bodies[-1]["api_key"] == "k-second"


@pytest.mark.asyncio
async def test_unknown_api_paths_are_json_404s(raw_fetch: Any, error_message: Any) -> None:
    for method, path in (("GET", "oauth/Local"), ("POST", "health/Local"), ("GET", "a/b/c")):
        response = await raw_fetch(f"{V2}/{path}", method, body={} if method == "POST" else None)
        assert response.code == 404 and path in error_message(response), path
    response = await raw_fetch(f"{V2}/files/no-such-bucket")  # the bucket routes still answer for themselves
    assert response.code == 404 and "no-such-bucket" in error_message(response)
    response = await raw_fetch(f"{V2}/quota/Local", auth=False)
    assert response.code == 403
