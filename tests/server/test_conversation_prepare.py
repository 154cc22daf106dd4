"""``/conversation`` with ``"action": "prepare"``: the prompt read ahead of the question (real server, real model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from peers import OpenAICompatible, add_openai

from g4f_jupyter.core.drivers.local import load_model, run_on_worker
from g4f_jupyter.core.runner import message_text
from g4f_jupyter.service.buckets import ground_messages, upload_files

URL = "backend-api/v2/conversation"
FACT = "The lighthouse on Quillmere Point was rebuilt in 1911 by Ada Penrose."
NOTES = (
    "\n\n".join(
        f"Log {i}. The keeper of tower {i} trims {i + 3} wicks and writes the weather at {5 + i % 7} o'clock."
        for i in range(30)
    )
    + f"\n\n{FACT}\n"
)


def _chat(bucket: str, question: str | None) -> list[dict[str, Any]]:
    """An earlier exchange, then the user's turn with the attachment (and the question, once typed)."""
    parts: list[dict[str, Any]] = [{"bucket_id": bucket, "url": f"/backend-api/v2/files/{bucket}"}]
    if question is not None:
        parts.append({"type": "text", "text": question})
    return [
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": parts},
    ]


def _events(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw.decode().splitlines()]


def _usage_files(data_dir: Path) -> list[Path]:
    usage = data_dir / "usage"
    return [p for p in usage.rglob("*") if p.is_file()] if usage.exists() else []


def _live_context_text() -> str:
    """What the embedded model's context holds now (read on its worker, between requests)."""

    def read() -> str:
        llm = load_model()
        return llm.detokenize(llm.input_ids[: llm.n_tokens].tolist(), special=True).decode("utf-8", "replace")

    return run_on_worker(read)


@pytest.mark.asyncio
async def test_bucket_text_leads_the_question_whatever_the_question_says() -> None:
    """The layout prepare relies on: the prepared turn's text is the start of the question's, for any question."""
    upload_files("tower-logs", [("logs.txt", NOTES.encode())])
    prepared, _ = await ground_messages(_chat("tower-logs", None), budget_tokens=2048)
    for question in ("Who rebuilt the lighthouse?", "List every keeper of tower 3 in a table, please."):
        asked, _ = await ground_messages(_chat("tower-logs", question), budget_tokens=2048)
        assert asked[:-1] == prepared[:-1]
        assert message_text(asked[-1]) == message_text(prepared[-1]) + question
    assert FACT in message_text(prepared[-1])


@pytest.mark.asyncio
async def test_prepare_reads_the_prompt_generates_nothing_and_the_question_reuses_it(
    raw_fetch: Any, g4f_data_dir: Path
) -> None:
    upload_files("tower-logs", [("logs.txt", NOTES.encode())])
    options = {"provider": "Local", "max_tokens": 16, "temperature": 0, "seed": 1}

    prepare = {**options, "messages": _chat("tower-logs", None), "action": "prepare"}
    prepared = await raw_fetch(URL, "POST", body=prepare)
    assert prepared.code == 204 and prepared.body == b""
    held = _live_context_text()
    assert FACT in held and held.endswith("<|im_start|>assistant\n")  # the prompt was read; no answer token was
    assert _usage_files(g4f_data_dir) == []  # nothing recorded for a prepare

    answered = await raw_fetch(URL, "POST", body={**options, "messages": _chat("tower-logs", "Who rebuilt it?")})
    assert answered.code == 200
    events = _events(answered.body)
    [usage] = [e["usage"] for e in events if e["type"] == "usage"]
    bucket_tokens = len(load_model().tokenize(NOTES.encode(), add_bos=False))
    cached = usage["prompt_tokens_details"]["cached_tokens"]
    assert cached >= bucket_tokens  # the history and the whole file came from the cache
    assert usage["prompt_tokens"] - cached < 30  # only the question and the template around it were read
    assert "".join(e.get("content", "") for e in events if e["type"] == "content").strip()


@pytest.mark.asyncio
async def test_prepare_on_a_provider_without_a_prompt_cache_is_204_at_once(
    raw_fetch: Any, loopback: Any, user_providers_dir: Path, g4f_data_dir: Path
) -> None:
    OpenAICompatible.bodies.clear()
    add_openai(user_providers_dir, "Remote", loopback(OpenAICompatible) + "/v1")
    body = {"provider": "Remote", "messages": [{"role": "user", "content": "Hi"}], "action": "prepare"}
    response = await raw_fetch(URL, "POST", body=body)
    assert response.code == 204 and response.body == b""
    assert OpenAICompatible.bodies == []  # nothing was sent to the provider
    assert _usage_files(g4f_data_dir) == []
    answered = await raw_fetch(URL, "POST", body={**body, "action": None})
    assert answered.code == 200 and "openai ok" in "".join(
        e.get("content", "") for e in _events(answered.body) if e["type"] == "content"
    )


@pytest.mark.asyncio
async def test_a_bad_prepare_is_refused_like_a_bad_turn(raw_fetch: Any, error_message: Any) -> None:
    ends_with_answer = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    response = await raw_fetch(URL, "POST", body={"messages": ends_with_answer, "action": "prepare"})
    assert response.code == 400 and "user's turn" in error_message(response)
    unknown = {"provider": "NoSuchProvider", "messages": [{"role": "user", "content": "x"}], "action": "prepare"}
    response = await raw_fetch(URL, "POST", body=unknown)
    assert response.code == 404 and "NoSuchProvider" in error_message(response)
    response = await raw_fetch(URL, "POST", body={"messages": [], "action": "prepare"})
    assert response.code == 400 and "messages" in error_message(response)


class TestUnderAPolicy:
    """The operator's policy holds for a prepare as for a turn: what the user may not use is a 403."""

    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        policy = {"*": {"providers": ["Remote"]}}
        return {"ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}}, "G4FSettings": {"policy": policy}}

    @pytest.mark.asyncio
    async def test_a_forbidden_provider_is_refused(
        self, raw_fetch: Any, error_message: Any, loopback: Any, user_providers_dir: Path
    ) -> None:
        add_openai(user_providers_dir, "Remote", loopback(OpenAICompatible) + "/v1")
        prepare = {"messages": [{"role": "user", "content": "Hi"}], "action": "prepare"}
        refused = await raw_fetch(URL, "POST", body={**prepare, "provider": "Local"})
        assert refused.code == 403 and error_message(refused).startswith("g4f policy")
        allowed = await raw_fetch(URL, "POST", body={**prepare, "provider": "Remote"})
        assert allowed.code == 204
