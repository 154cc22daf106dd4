"""Our BackendApi drives a multi-provider server: its providers are choosable, its live list shown.

Against a second process speaking era-P SSE framing, and against our own running server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

import g4f_jupyter
from g4f_jupyter.core.events import Content, ProviderInfo
from g4f_jupyter.service.catalog import provider_models

V2 = "backend-api/v2"


@pytest.fixture(scope="module")
def era_p() -> Iterator[str]:
    """The era-P stand-in in its own process; its base URL."""
    script = Path(__file__).with_name("era_p_server.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    process.kill()
    process.wait()


def add_remote(directory: Path, base: str, name: str = "Upstream", **settings: str) -> None:
    lines = [f'name = "{name}"', 'driver = "backend_api"', f'api_base = "{base}"', "live_models = true", "[settings]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (directory / f"{name}.toml").write_text("\n".join(lines) + "\n", "utf-8")


def chat(model: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "Upstream", "model": model, "messages": [{"role": "user", "content": "hi"}], **extra}


def answer(body: bytes) -> str:
    return "".join(e["content"] for e in map(json.loads, body.decode().splitlines()) if e["type"] == "content")


@pytest.mark.asyncio
async def test_live_list_names_each_remote_provider(era_p, user_providers_dir, raw_fetch) -> None:
    add_remote(user_providers_dir, era_p)
    ids = [e["id"] for e in await provider_models("Upstream")]
    assert ids[:4] == ["gemini-2.5", "gpt-4o", "gpt-4o-mini", "llama3.2:3b"]  # plain: the remote chooses
    assert {"OpenaiChat:gpt-4o", "Gemini:gemini-2.5", "Ollama:llama3.2:3b"} <= set(ids)
    served = json.loads((await raw_fetch(f"{V2}/models/Upstream")).body)  # what the page's picker gets
    assert [e["id"] for e in served] == ids


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("OpenaiChat:gpt-4o-mini", "OpenaiChat/gpt-4o-mini (asked: OpenaiChat)"),
        ("gemini-2.5", "Gemini/gemini-2.5 (asked: auto)"),
        ("llama3.2:3b", "Ollama/llama3.2:3b (asked: auto)"),  # a colon in a model id is not a provider
        ("Ollama:llama3.2:3b", "Ollama/llama3.2:3b (asked: Ollama)"),
    ],
)
async def test_remote_provider_chosen_by_model_name(era_p, user_providers_dir, raw_fetch, model, expected) -> None:
    add_remote(user_providers_dir, era_p)
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat(model))
    assert response.code == 200 and answer(response.body) == expected


@pytest.mark.asyncio
async def test_remote_provider_as_an_option_and_pinned(era_p, user_providers_dir, raw_fetch) -> None:
    add_remote(user_providers_dir, era_p)
    response = await raw_fetch(f"{V2}/conversation", "POST", body=chat("gemini-2.5", remote_provider="Gemini"))
    assert answer(response.body) == "Gemini/gemini-2.5 (asked: Gemini)"
    refused = await raw_fetch(f"{V2}/conversation", "POST", body=chat("gpt-4o", remote_provider="Gemini"))
    events = [json.loads(line) for line in refused.body.decode().splitlines()]
    assert any(e["type"] == "error" and "Gemini has no gpt-4o" in e["message"] for e in events)

    add_remote(user_providers_dir, era_p, name="Pinned", remote_provider="Gemini")
    assert [e["id"] for e in await provider_models("Pinned")] == ["gemini-2.5"]  # from /models/Gemini
    text = await g4f_jupyter.aask("hi", provider="Pinned", model="gemini-2.5")
    assert text == "Gemini/gemini-2.5 (asked: Gemini)"


def test_magic_list_shows_the_live_list(era_p, user_providers_dir) -> None:
    add_remote(user_providers_dir, era_p)
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "g4f_jupyter")
    with capture_output() as captured:
        shell.run_line_magic("g4f", "list")
    shown = "".join(o.data.get("text/plain", "") for o in captured.outputs)
    line = next(x for x in shown.splitlines() if x.startswith("Upstream"))
    assert "OpenaiChat:gpt-4o-mini" in line and "Ollama:llama3.2:3b" in line


@pytest.mark.asyncio
async def test_our_own_server_as_the_remote(server_url, jp_serverapp, user_providers_dir) -> None:
    add_remote(user_providers_dir, server_url.rstrip("/"), name="Self", token=jp_serverapp.identity_provider.token)
    ids = [e["id"] for e in await provider_models("Self")]
    local = next(i for i in ids if i.startswith("Local:"))
    events = [e async for e in g4f_jupyter.astream("Say hi.", provider="Self", model=local, max_tokens=4)]
    providers = [e.name for e in events if isinstance(e, ProviderInfo)]
    assert providers[0] == "Self" and "Local" in providers[1:]  # our server answered with the one asked for
    assert "".join(e.content for e in events if isinstance(e, Content)).strip()
