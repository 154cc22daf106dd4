"""Grounding chats in buckets: parts and placeholders expanded, BM25 chunks when too large,
a chat with the embedded model over real HTTP whose log names what was included, and a
grounded follow-up that the embedded model answers without reading the files again."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from bucket_docs import FILLER, make_pdf

from g4f_jupyter.core.events import Content, Log, Usage, parse_line
from g4f_jupyter.service.buckets import ground_messages, upload_files
from g4f_jupyter.service.buckets.retrieval import split_chunks

FACT = "The vault code is 7431-ZEBRA."


def _long_filler(paragraphs: int, seed: str) -> str:
    return "\n\n".join(f"{seed} {i}. " + FILLER * 3 for i in range(paragraphs))


def _vault_bucket(bucket: str) -> None:
    manual = (
        _long_filler(150, "Manual section")
        + f"\n\nSecurity appendix. {FACT} Keep it secret.\n\n"
        + _long_filler(150, "Manual tail")
    )
    upload_files(bucket, [("filler.txt", _long_filler(400, "Almanac entry").encode()), ("manual.txt", manual.encode())])


@pytest.mark.asyncio
async def test_bucket_grounding_small_bucket_goes_whole_in_all_three_forms() -> None:
    upload_files(
        "small",
        [("tea.txt", b"Green tea steeps at 80 degrees."), ("dot.png", b"\x89PNG-bytes"), ("clip.mp3", b"ID3-bytes")],
    )
    messages = [
        {"role": "system", "content": 'Context: {"bucket_id":"small"} end.'},
        {"role": "user", "content": [{"bucket_id": "small", "url": "/backend-api/v2/files/small"}]},
        {
            "role": "user",
            "content": [
                {"bucket_id": "small", "name": "dot.png", "url": "/files/small/media/dot.png"},
                {"bucket_id": "small", "name": "clip.mp3", "url": "/files/small/media/clip.mp3"},
                {"bucket_id": "small", "name": "gone.png", "url": "/files/small/media/gone.png"},
                {"type": "text", "text": "How hot for green tea?"},
            ],
        },
    ]
    grounded, logs = await ground_messages(messages)
    assert messages[1]["content"][0] == {"bucket_id": "small", "url": "/backend-api/v2/files/small"}  # input untouched
    # the text goes once, where the bucket is mentioned first (the placeholder), the later part is dropped
    assert grounded[0]["content"] == "Context: ```tea.txt\nGreen tea steeps at 80 degrees.\n```\n\n end."
    assert grounded[1]["content"] == []
    image, audio, text = grounded[2]["content"]
    assert image == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(b"\x89PNG-bytes").decode()},
    }
    assert audio == {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(b"ID3-bytes").decode(), "format": "mp3"},
    }
    assert text == {"type": "text", "text": "How hot for green tea?"}
    assert logs == [
        "bucket small: whole text, 48 characters (tea.txt)",
        "bucket small: media dot.png attached",
        "bucket small: media clip.mp3 attached",
        "bucket small: no media 'gone.png' in bucket 'small'; skipped",
    ]


@pytest.mark.asyncio
async def test_bucket_grounding_missing_and_hostile_buckets_are_skipped() -> None:
    messages = [
        {"role": "user", "content": [{"bucket_id": "nobody", "url": "/x"}, {"bucket_id": "../etc", "url": "/y"}]}
    ]
    grounded, logs = await ground_messages(messages)
    assert grounded[0]["content"] == []
    assert logs[0] == "bucket nobody: bucket 'nobody' not found; skipped"
    assert logs[1].startswith("bucket ../etc: invalid bucket id")
    plain = [{"role": "user", "content": "no buckets here"}]
    assert await ground_messages(plain) == (plain, [])


@pytest.mark.asyncio
async def test_bucket_grounding_large_bucket_sends_the_relevant_chunks() -> None:
    _vault_bucket("vault")
    messages = [
        {"role": "user", "content": [{"bucket_id": "vault", "url": "/backend-api/v2/files/vault"}]},
        {"role": "assistant", "content": "I have read the files."},
        {"role": "user", "content": "What is the vault code?"},
    ]
    grounded, logs = await ground_messages(messages)
    text = grounded[0]["content"][0]["text"]
    assert FACT in text and text.startswith("```manual.txt\n")
    assert len(text) <= 1200 * 4 + 64
    assert (
        len(logs) == 1
        and logs[0].startswith("bucket vault: ")
        and logs[0].endswith(" chunks (manual.txt) by relevance")
    )
    # a question matching nothing falls back to the start, still within budget
    grounded, logs = await ground_messages([*messages[:2], {"role": "user", "content": "Zxqv?"}], budget_tokens=300)
    assert logs[0].endswith("(filler.txt) from the start (no chunk matches the question)")
    assert len(grounded[0]["content"][0]["text"]) <= 300 * 4 + 64


def _notes_bucket(bucket: str) -> None:
    """About 1,500 tokens: small enough for the embedded model to take whole."""
    notes = "\n\n".join(f"Note {i}. " + FILLER for i in range(66)) + f"\n\nSecurity appendix. {FACT}\n"
    upload_files(bucket, [("notes.txt", notes.encode())])


@pytest.mark.asyncio
async def test_bucket_grounding_is_a_stable_prefix_across_turns() -> None:
    """Turn after turn (even when the bucket is attached again), the bucket text sits unchanged in the first message."""
    _notes_bucket("notes")
    ref = {"bucket_id": "notes", "url": "/backend-api/v2/files/notes"}
    turn_one = [{"role": "user", "content": [ref]}, {"role": "user", "content": "What is the vault code?"}]
    turn_two = [
        *turn_one,
        {"role": "assistant", "content": "7431-ZEBRA."},
        {"role": "user", "content": [ref, {"type": "text", "text": "Who keeps it?"}]},
    ]
    first, _ = await ground_messages(turn_one, budget_tokens=4096)
    second, logs = await ground_messages(turn_two, budget_tokens=4096)
    assert FACT in first[0]["content"][0]["text"]
    assert second[: len(first)] == first
    assert second[-1]["content"] == [{"type": "text", "text": "Who keeps it?"}]
    assert logs[0].startswith("bucket notes: whole text")


@pytest.mark.asyncio
async def test_bucket_grounded_follow_up_on_the_embedded_model_reuses_the_cached_prefix() -> None:
    """The follow-up's prompt holds the whole bucket, yet llama.cpp evaluates only the new turn, even after
    another chat ran in between."""
    import llama_cpp

    from g4f_jupyter.core.drivers import local
    from g4f_jupyter.core.runner import ChatRequest
    from g4f_jupyter.service.conversation import open_conversation

    async def ask(messages: list[dict], max_tokens: int) -> tuple[str, Usage, int]:
        _, stream = open_conversation(
            ChatRequest(messages, provider="Local", options={"max_tokens": max_tokens, "seed": 1})
        )
        events = [event async for event in stream]
        assert not [e for e in events if e.type == "error"], events
        [usage] = [e for e in events if isinstance(e, Usage)]
        text = "".join(e.content for e in events if isinstance(e, Content))
        evaluated = await asyncio.to_thread(
            local.run_on_worker, lambda: llama_cpp.llama_perf_context(local.load_model().ctx).n_p_eval
        )
        return text, usage, evaluated

    _notes_bucket("notes")
    chat = [
        {"role": "user", "content": [{"bucket_id": "notes", "url": "/backend-api/v2/files/notes"}]},
        {"role": "user", "content": "What is the vault code?"},
    ]
    answer, first, first_evaluated = await ask(chat, 16)
    assert first.prompt_tokens > 1400 and first_evaluated > 1400  # the bucket went whole and was read
    await ask([{"role": "user", "content": "Name a fruit."}], 4)  # another chat takes the live context
    follow_up = [*chat, {"role": "assistant", "content": answer}, {"role": "user", "content": "Who may know it?"}]
    _, second, evaluated = await ask(follow_up, 4)
    assert second.prompt_tokens > first.prompt_tokens
    assert evaluated < 40  # the new question and the template around it, not the bucket
    assert second.extra["prompt_tokens_details"]["cached_tokens"] == second.prompt_tokens - evaluated


def test_bucket_chunks_remember_files_and_stay_small() -> None:
    chunks = split_chunks([("a.txt", "para one\n\npara two"), ("b.pdf", "x" * 5000), ("c.md", "line\n" * 400)])
    assert [c.file for c in chunks[:1]] == ["a.txt"] and chunks[0].text == "para one\npara two"
    assert {c.file for c in chunks} == {"a.txt", "b.pdf", "c.md"}
    assert all(0 < len(c.text) <= 800 for c in chunks)


@pytest.mark.asyncio
async def test_bucket_chat_with_embedded_model_is_grounded_in_the_relevant_chunk(upload, fetch) -> None:
    manual = make_pdf(
        "Operations manual.", *[f"Procedure {i}: " + FILLER for i in range(60)], f"Security appendix. {FACT}"
    )
    response = await upload(
        "chat", [("manual.pdf", manual), ("almanac.txt", _long_filler(300, "Almanac entry").encode())]
    )
    assert response.code == 200
    body = {
        "messages": [
            {"role": "user", "content": [{"bucket_id": "chat", "url": "/backend-api/v2/files/chat"}]},
            {"role": "user", "content": "What is the vault code?"},
        ],
        "provider": "Local",
        "max_tokens": 8,
        "temperature": 0,
        "seed": 1,
    }
    response = await fetch(
        "backend-api/v2/conversation",
        method="POST",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        request_timeout=120,
    )
    assert response.code == 200
    events = [parse_line(line) for line in response.body.decode().splitlines() if line.strip()]
    types = [e.type for e in events]
    assert types[0] == "provider" and "finish" in types and "error" not in types
    logs = [e.log for e in events if isinstance(e, Log)]
    assert types[-len(logs) :] == ["log"] * len(logs)  # log lines last
    line = next(line for line in logs if line.startswith("bucket chat: "))
    assert line.endswith("chunks (manual.pdf) by relevance"), line
    usage = next(e for e in events if e.type == "usage")
    assert usage.prompt_tokens > 100  # the chunk reached the model (the question alone is ~20 tokens)


RECORDER = """
from g4f_jupyter.core.events import Content
from g4f_jupyter.core.provider import Provider

SEEN = []


class Recorder(Provider):
    async def create_async_generator(self, model, messages, **kwargs):
        SEEN.append(messages)
        yield Content("ok")
"""


@pytest.mark.asyncio
async def test_bucket_grounding_budget_follows_the_providers_context(tmp_path, monkeypatch, user_providers_dir) -> None:
    """A provider with a large context gets the whole bucket; the embedded model gets chunks."""
    from g4f_jupyter.core.runner import ChatRequest
    from g4f_jupyter.service.conversation import open_conversation

    (tmp_path / "recording_provider.py").write_text(RECORDER, "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    toml = 'driver = "recording_provider:Recorder"\ndefault_model = "m"\n'
    (user_providers_dir / "Big.toml").write_text(f'name = "Big"\n{toml}context_tokens = 400000\n', "utf-8")
    (user_providers_dir / "Small.toml").write_text(f'name = "Small"\n{toml}', "utf-8")
    _vault_bucket("vault")
    messages = [
        {"role": "user", "content": [{"bucket_id": "vault", "url": "/backend-api/v2/files/vault"}]},
        {"role": "user", "content": "What is the vault code?"},
    ]
    logs = {}
    for provider in ("Big", "Small"):
        _, events = open_conversation(ChatRequest(messages=messages, provider=provider))
        logs[provider] = [event.log async for event in events if isinstance(event, Log)]
    import recording_provider

    big_text, small_text = (seen[0]["content"][0]["text"] for seen in recording_provider.SEEN)
    assert "Almanac entry 399" in big_text and FACT in big_text
    assert logs["Big"][-1].startswith("bucket vault: whole text")
    assert FACT in small_text and len(small_text) <= 1200 * 4 + 64
    assert logs["Small"][-1].endswith("by relevance")
