"""Demo mode as the seed has it: the demo providers' models as the list, a random demo provider per request."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from peers import Peer, add_peer

from g4f_jupyter.core import events as ev

V2 = "backend-api/v2"


class Named(Peer):
    """A peer that says which catalog entry it stands for (its port tells them apart)."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def answer(self, body: dict[str, Any]) -> bytes:
        port = self.server.server_address[1]
        events = [ev.Content(f"port {port}"), ev.Finish("stop")]
        return "".join(ev.frame(e, "ndjson") for e in events).encode()


@pytest.fixture
def demo(loopback, user_providers_dir, monkeypatch, jp_serverapp) -> dict[str, str]:
    """Two demo providers, One (models a, shared) and Two (models b, shared); the embedded one not among them."""
    ports = {}
    for name, models in (("One", ("a", "shared")), ("Two", ("b", "shared"))):
        base = loopback(Named)
        add_peer(user_providers_dir, name, base, models=models)
        ports[name] = f"port {base.rsplit(':', 1)[1]}"
    monkeypatch.setenv("G4F_JUPYTER_DEMO_PROVIDERS", "One, Two, Missing")
    settings = jp_serverapp.web_app.settings["g4f_settings"]
    settings.demo_mode, settings.demo_providers = True, "One, Two, Missing"
    return ports


def chat(**extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}], **extra}


def answer(body: bytes) -> str:
    return "".join(e["content"] for e in map(json.loads, body.decode().splitlines()) if e["type"] == "content")


@pytest.mark.asyncio
async def test_demo_model_list_is_the_demo_providers(demo, raw_fetch) -> None:
    models = json.loads((await raw_fetch(f"{V2}/models")).body)
    assert {m["name"]: m["providers"] for m in models} == {"a": ["One"], "shared": ["One", "Two"], "b": ["Two"]}
    assert all(m["demo"] is True for m in models)
    providers = [p["name"] for p in json.loads((await raw_fetch(f"{V2}/providers")).body)]
    assert providers == ["One", "Two"]  # an unknown name is skipped (and logged), never a 500


@pytest.mark.asyncio
async def test_a_random_demo_provider_answers_when_none_is_given(demo, raw_fetch) -> None:
    seen = set()
    for _ in range(24):
        response = await raw_fetch(f"{V2}/conversation", "POST", body=chat())
        seen.add(answer(response.body))
    assert seen == {demo["One"], demo["Two"]}  # both chosen (a miss is 2 in 2**24)
    for _ in range(6):  # only Two offers b
        response = await raw_fetch(f"{V2}/conversation", "POST", body=chat(model="b"))
        assert answer(response.body) == demo["Two"]
    named = await raw_fetch(f"{V2}/conversation", "POST", body=chat(provider="One", model="a"))
    assert answer(named.body) == demo["One"]  # naming a provider still chooses it
