"""What upstream's current web client calls besides the chat: public-key and x-secret, quota, pa/providers,
its per-provider key objects with null keys, and a malformed provider base URL (a 400 naming the field).

A real server; chats go to a loopback ``/backend-api/v2`` peer (tests/server/peers.py), so no case
waits on a model. The secret is encrypted the way upstream's page does (RSA PKCS#1 v1.5, base64)
with the ``cryptography`` package.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cryptography.fernet
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from peers import Peer, add_peer

V2 = "backend-api/v2"
HI = [{"role": "user", "content": "hi"}]
# The 13 providers upstream's current page names in its "Auto" body (null: no key entered).
UPSTREAM_KEYLESS = [
    "Pollinations", "HuggingFace", "Together", "GeminiPro", "OpenRouter", "OpenRouterFree", "Groq", "DeepInfra",
    "Replicate", "Puter", "Nvidia", "Ollama", "Airforce",
]


@pytest.fixture
def peer(loopback: Callable[..., str], user_providers_dir: Path) -> str:
    Peer.bodies.clear()
    add_peer(user_providers_dir, "Peer", loopback(Peer), order=-20)
    return "Peer"


def encrypt(public_pem: str, data: str) -> str:
    """What upstream's page (JSEncrypt) sends as x-secret: ``data`` RSA-encrypted with PKCS#1 v1.5, base64."""
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return base64.b64encode(key.encrypt(data.encode(), padding.PKCS1v15())).decode()


async def challenge(raw_fetch: Any, method: str = "GET") -> dict[str, Any]:
    response = await raw_fetch(f"{V2}/public-key", method, headers={"x-user": "ada"})
    assert response.code == 200 and response.headers["Content-Type"].startswith("application/json")
    return dict(json.loads(response.body))


async def chat(raw_fetch: Any, secret: str | None, **body: Any) -> Any:
    headers = {} if secret is None else {"x-secret": secret}
    return await raw_fetch(f"{V2}/conversation", "POST", body={"messages": HI, **body}, headers=headers)


def contents(response: Any) -> str:
    return "".join(e.get("content", "") for e in map(json.loads, response.body.decode().splitlines())
                   if e["type"] == "content")


@pytest.mark.asyncio
async def test_public_key_round_trip(peer: str, raw_fetch: Any, error_message: Any, g4f_data_dir: Path) -> None:
    served = await challenge(raw_fetch)
    assert set(served) == {"public_key", "data", "user"} and served["user"] == "ada"
    assert served["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert (await challenge(raw_fetch, "POST"))["public_key"] == served["public_key"]  # one key per data directory
    key_file = g4f_data_dir / "cookies" / "public_key_private.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600

    accepted = await chat(raw_fetch, encrypt(served["public_key"], served["data"]), provider=peer)
    assert accepted.code == 200 and contents(accepted) == "peer ok"
    assert "x-secret" not in json.dumps(Peer.bodies[-1])  # checked here, never forwarded

    data = served["data"]
    altered = data[:40] + ("A" if data[40] != "A" else "B") + data[41:]
    for wrong in (
        encrypt(served["public_key"], str(int(time.time()))),  # a timestamp the client made up
        encrypt(served["public_key"], altered),  # a challenge altered
        base64.b64encode(b"\0" * 256).decode(),  # not encrypted with this key
        "not base64 at all",
    ):
        refused = await chat(raw_fetch, wrong, provider=peer)
        assert refused.code == 403 and error_message(refused) == "Invalid or missing secret", wrong
    assert len(Peer.bodies) == 1  # a refused chat never reached the provider

    nobody = await chat(raw_fetch, None, provider=peer)  # this server's own page sends no secret
    assert nobody.code == 200


@pytest.mark.asyncio
async def test_a_stale_or_rotated_secret_is_refused(
    peer: str, raw_fetch: Any, error_message: Any, g4f_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_time = time.time
    with monkeypatch.context() as clock:  # only the token clock moves, and only for this challenge
        clock.setattr(cryptography.fernet, "time", SimpleNamespace(time=lambda: real_time() - 11))
        old = await challenge(raw_fetch)  # a challenge made 11 seconds ago
    stale = await chat(raw_fetch, encrypt(old["public_key"], old["data"]), provider=peer)
    assert stale.code == 403 and error_message(stale) == "Invalid or missing secret"

    fresh = await challenge(raw_fetch)
    (g4f_data_dir / "cookies" / "public_key_private.pem").unlink()  # rotate the key
    rotated = await challenge(raw_fetch)
    assert rotated["public_key"] != fresh["public_key"]
    refused = await chat(raw_fetch, encrypt(fresh["public_key"], fresh["data"]), provider=peer)
    assert refused.code == 403
    accepted = await chat(raw_fetch, encrypt(rotated["public_key"], rotated["data"]), provider=peer)
    assert accepted.code == 200


@pytest.mark.asyncio
async def test_quota_answers_for_every_known_provider(raw_fetch: Any, error_message: Any) -> None:
    local = await raw_fetch(f"{V2}/quota/Local")
    assert local.code == 200
    assert json.loads(local.body) == {
        "provider": "Local", "quota": None, "message": "Local reports no quota", "key": "not needed"}
    openai = json.loads((await raw_fetch(f"{V2}/quota/openai", headers={"x-api-key": "sk-secret"})).body)
    assert openai["provider"] == "OpenAI" and openai["key"].startswith("set") and "sk-secret" not in json.dumps(openai)
    assert json.loads((await raw_fetch(f"{V2}/quota/AnyProvider")).body)["quota"] is None
    missing = await raw_fetch(f"{V2}/quota/NoSuchProvider")
    assert missing.code == 404 and "NoSuchProvider" in error_message(missing)


@pytest.mark.asyncio
async def test_pa_providers_is_an_empty_listing_behind_login(raw_fetch: Any) -> None:
    listed = await raw_fetch("pa/providers", headers={"Accept": "application/json"})
    assert listed.code == 200 and listed.headers["Content-Type"].startswith("application/json")
    assert json.loads(listed.body) == []
    assert (await raw_fetch("pa/providers", auth=False)).code == 403


@pytest.mark.asyncio
async def test_null_keys_mean_no_key(peer: str, raw_fetch: Any) -> None:
    keys: dict[str, str | None] = dict.fromkeys(UPSTREAM_KEYLESS)
    response = await chat(raw_fetch, None, provider=peer, api_key=keys)
    assert response.code == 200 and contents(response) == "peer ok"
    assert Peer.bodies[-1].get("api_key") is None  # no key reached the provider
    keys[peer] = "k-peer"
    response = await chat(raw_fetch, None, provider=peer, api_key=keys)
    assert response.code == 200 and Peer.bodies[-1]["api_key"] == "k-peer"


@pytest.mark.asyncio
async def test_a_malformed_provider_base_is_a_400_naming_the_field(raw_fetch: Any, error_message: Any) -> None:
    for field in ("api_base", "base_url"):
        for value in ("http://[::1", "http://host:port/v1", "ftp://host/v1", "/v1"):
            response = await chat(raw_fetch, None, provider="Custom", model="m", **{field: value})
            assert response.code == 400 and error_message(response).startswith(f"{field}: "), (field, value)
            created = await raw_fetch(f"{V2}/create?provider=Custom&prompt=hi&{field}=http://%5B::1")
            assert created.code == 400 and error_message(created).startswith(f"{field}: ")
    header = await raw_fetch(f"{V2}/conversation", "POST", body={"messages": HI, "provider": "Custom"},
                             headers={"x-api-base": "http://[::1"})
    assert header.code == 400 and error_message(header).startswith("x-api-base: ")
