"""The exact chat bodies upstream's current web client sends, answered by the embedded model.

Its default "Auto" choice sends ``provider: "AnyProvider"`` with one ``api_key`` entry per provider
it knows, null where the user gave none; a user who chose a provider sends a string key; a user
who entered one key sends an object with that key and nulls (protocol §9). Each streams content.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

V2 = "backend-api/v2"
KEYED = [  # the providers its "Auto" body names, in its order
    "Pollinations", "HuggingFace", "Together", "GeminiPro", "OpenRouter", "OpenRouterFree", "Groq", "DeepInfra",
    "Replicate", "Puter", "Nvidia", "Ollama", "Airforce",
]


def upstream_body(provider: str, api_key: Any) -> dict[str, Any]:
    """What the page's send builds (its fields and their defaults), ``base_url`` left out as JSON drops it."""
    return {
        "id": str(uuid.uuid4().int)[:19],
        "conversation_id": str(uuid.uuid4()),
        "conversation": None,
        "model": "",
        "web_search": False,
        "provider": provider,
        "messages": [{"role": "user", "content": "Say hello."}],
        "prompt": None,
        "action": "next",
        "download_media": True,
        "debug_mode": False,
        "api_key": api_key,
        "ignored": [],
        "aspect_ratio": "16:9",
        "max_tokens": 8,
    }


@pytest.mark.asyncio
@pytest.mark.parametrize("provider, api_key", [
    ("AnyProvider", dict.fromkeys(KEYED)),  # "Auto", no key entered anywhere
    ("Local", "sk-typed-into-the-key-field"),  # a string key
    ("AnyProvider", {**dict.fromkeys(KEYED), "Groq": "gsk-one-real-key"}),  # one key entered
], ids=["auto-13-null-keys", "string-key", "one-real-key"])
async def test_upstream_bodies_stream_from_the_embedded_model(raw_fetch: Any, provider: str, api_key: Any) -> None:
    response = await raw_fetch(f"{V2}/conversation", "POST", body=upstream_body(provider, api_key),
                               headers={"Accept": "text/event-stream"}, request_timeout=180)
    assert response.code == 200, response.body[:500]
    events = [json.loads(line) for line in response.body.decode().splitlines()]
    assert events[0]["type"] == "provider" and events[0]["provider"]["name"] == "Local"
    assert "".join(e["content"] for e in events if e["type"] == "content").strip()
    assert "finish" in [e["type"] for e in events] and not [e for e in events if e["type"] in ("error", "auth")]
