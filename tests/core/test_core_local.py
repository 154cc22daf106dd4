"""The embedded model end to end: real llama.cpp, real tokens, real cancellation and queueing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import llama_cpp
import pytest

import g4f_jupyter
from g4f_jupyter.core.drivers import local
from g4f_jupyter.core.events import Content, Error, Event, Finish, Usage
from g4f_jupyter.core.runner import ChatRequest, run_chat

T = TypeVar("T")
LONG_PROMPT = [{"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]


async def _run(messages: list[dict], **options: object) -> list[Event]:
    request = ChatRequest(messages, options={"temperature": 0, "seed": 1, **options})
    return [event async for event in run_chat(request)]


def _text(events: list[Event]) -> str:
    return "".join(e.content for e in events if isinstance(e, Content))


def _usage(events: list[Event]) -> Usage:
    [usage] = [e for e in events if isinstance(e, Usage)]
    return usage


async def _on_worker(job: Callable[[], T]) -> T:
    """``job()`` on the model's single worker, once every queued request has finished."""
    return await asyncio.to_thread(local.run_on_worker, job)


async def _worker_idle_tokens() -> int:
    """Tokens in the model's context once every queued job has finished."""
    return await _on_worker(lambda: local.load_model().n_tokens)


def _prompt_tokens_evaluated() -> int:
    """What llama.cpp reports it evaluated in prompt batches during the last request (counters reset per request)."""
    return int(llama_cpp.llama_perf_context(local.load_model().ctx).n_p_eval)


@pytest.mark.asyncio
async def test_answer_usage_finish() -> None:
    events = await _run([{"role": "user", "content": "Say hello."}], max_tokens=24)
    assert [e.type for e in events][:2] == ["provider", "parameters"]
    assert [e.type for e in events][-2:] == ["usage", "finish"]
    assert _text(events).strip()
    usage = _usage(events)
    assert not usage.estimated and usage.completion_tokens > 0 and usage.prompt_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.extra == {
        "model": "SmolLM2-135M-Instruct",
        "provider": "Local",
        "prompt_tokens_details": {"cached_tokens": 0},
    }


@pytest.mark.asyncio
async def test_system_message_reaches_the_prompt() -> None:
    system = "Always answer in French. " * 12
    question = {"role": "user", "content": "What colour is the sky?"}
    plain = _usage(await _run([question], max_tokens=4))
    with_system = _usage(await _run([{"role": "system", "content": system}, question], max_tokens=4))
    system_tokens = len(local.load_model().tokenize(system.encode(), add_bos=False))
    # the system message replaces the template's default one, so the growth is its size minus that default
    assert with_system.prompt_tokens - plain.prompt_tokens > system_tokens - 30 > 0


@pytest.mark.asyncio
async def test_closing_the_stream_stops_the_worker() -> None:
    reference = await _run(LONG_PROMPT, max_tokens=64)
    assert reference[-1] == Finish("length")  # uncancelled, this prompt runs to the token limit
    prompt_tokens = _usage(reference).prompt_tokens

    stream = run_chat(ChatRequest(LONG_PROMPT, options={"temperature": 0, "seed": 1, "max_tokens": 64}))
    async with contextlib.aclosing(stream):
        async for event in stream:
            if isinstance(event, Content):
                break  # the first text is handed over alone, at once
    generated = await asyncio.wait_for(_worker_idle_tokens(), 30) - prompt_tokens
    assert 1 <= generated < 16  # the worker stopped a few tokens after the close, far below 64
    follow_up = await asyncio.wait_for(_run([{"role": "user", "content": "Hi"}], max_tokens=8), 60)
    assert _text(follow_up) and follow_up[-1].type == "finish"


@pytest.mark.asyncio
async def test_requests_are_served_one_at_a_time_in_order() -> None:
    timeline: list[tuple[int, str]] = []

    async def consume(index: int, prompt: str) -> None:
        async for event in run_chat(
            ChatRequest([{"role": "user", "content": prompt}], options={"max_tokens": 16, "temperature": 0})
        ):
            timeline.append((index, event.type))

    await asyncio.wait_for(asyncio.gather(consume(1, "Name a fruit."), consume(2, "Name a colour.")), 120)
    first_finish = timeline.index((1, "finish"))
    second_content = timeline.index((2, "content"))
    assert second_content > first_finish
    assert (2, "finish") in timeline


def _long_history() -> list[dict]:
    filler = "The quick brown fox jumps over the lazy dog near the river bank. " * 12
    history = []
    for turn in range(30):
        history += [{"role": "user", "content": f"{turn}: {filler}"}, {"role": "assistant", "content": filler}]
    return [{"role": "system", "content": "Be brief."}, *history, {"role": "user", "content": "Say yes."}]


def test_fit_context_keeps_system_and_newest_turns() -> None:
    llm = local.load_model()
    messages = _long_history()
    fitted = local._fit_context(llm, messages, 600)
    assert fitted[0] == messages[0] and fitted[-1] == messages[-1]
    assert fitted[1:] == messages[len(messages) - len(fitted) + 1 :]  # a contiguous run of the newest turns
    assert 2 < len(fitted) < len(messages)
    assert sum(len(llm.tokenize(m["content"].encode(), add_bos=False)) + 6 for m in fitted) + 32 <= 600


def test_fit_context_trims_in_steps_so_the_prompt_start_holds_across_turns() -> None:
    """Trimmed one message at a time, a chat of short turns would start differently (and be read again) every turn."""
    llm = local.load_model()
    messages = [{"role": "system", "content": "Be brief."}]
    for turn in range(60):
        messages += [{"role": "user", "content": f"Tell me fact {turn}."}, {"role": "assistant", "content": "A fact."}]
    starts = []
    for turn in range(8):
        messages.append({"role": "user", "content": f"And fact {turn} again, please?"})
        fitted = local._fit_context(llm, messages, 600)
        assert sum(len(llm.tokenize(m["content"].encode(), add_bos=False)) + 6 for m in fitted) + 32 <= 600
        starts.append(next(i for i, m in enumerate(messages) if m is fitted[1]))  # the first kept after the system
        messages.append({"role": "assistant", "content": "Here it is once more."})
    assert len(set(starts)) <= 3  # each turn adds ~20 tokens; the start moves once per 150, not every turn


def test_fit_context_shortens_one_oversized_message_keeping_its_end() -> None:
    llm = local.load_model()
    huge = "lorem ipsum dolor sit amet " * 400 + "What is the answer?"
    [fitted] = local._fit_context(llm, [{"role": "user", "content": huge}], 300)
    assert fitted["content"].endswith("What is the answer?")
    assert len(llm.tokenize(fitted["content"].encode(), add_bos=False)) <= 300 - 32 - 6


@pytest.mark.asyncio
async def test_long_history_is_trimmed_not_refused(user_providers_dir: Path) -> None:
    """On the model loaded again with a provider file's smaller ``n_ctx``, so the trimmed prompt is quick to read."""
    toml = 'name = "Tiny"\ndriver = "local"\ndefault_model = "SmolLM2-135M-Instruct"\n[settings]\nn_ctx = 1024\n'
    (user_providers_dir / "Tiny.toml").write_text(toml, "utf-8")
    await asyncio.to_thread(local.shutdown)  # the next request loads the model with Tiny's settings
    try:
        messages = _long_history()
        # a large max_tokens reserves half the context for the answer, so the prompt evaluated stays small
        request = ChatRequest(messages, provider="Tiny", options={"max_tokens": 1500, "stop": [" ", "\n", "."]})
        events = [event async for event in run_chat(request)]
        assert local.load_model().n_ctx() == 1024
        total = sum(len(local.load_model().tokenize(m["content"].encode(), add_bos=False)) for m in messages)
        assert total > 2 * 1024
        assert not [e for e in events if isinstance(e, Error)]
        assert events[-1].type == "finish"
        assert 0 < _usage(events).prompt_tokens <= 1024 // 2
    finally:
        await asyncio.to_thread(local.shutdown)  # later tests get the catalog's model again


def test_sync_bridge_inside_a_running_loop() -> None:
    async def cell() -> tuple[str, list[str]]:
        # a notebook cell: the loop is running, and the sync API is called from it without nest_asyncio
        answer = g4f_jupyter.ask("Say hello.", max_tokens=8, temperature=0)
        kinds = [e.type for e in g4f_jupyter.stream("Say hi.", max_tokens=8, temperature=0)]
        return answer, kinds

    answer, kinds = asyncio.run(cell())
    assert answer.strip()
    assert kinds[0] == "provider" and kinds[-2:] == ["usage", "finish"]


def test_sync_bridge_breaking_out_cancels_generation() -> None:
    reference_prompt = len(local.load_model().tokenize(LONG_PROMPT[0]["content"].encode(), add_bos=False))

    async def cell() -> int:
        seen = 0
        for event in g4f_jupyter.stream(LONG_PROMPT[0]["content"], max_tokens=64, temperature=0, seed=1):
            if isinstance(event, Content):
                seen += 1
                if seen == 3:
                    break  # the generator is closed here, which cancels the stream on the background loop
        return seen

    assert asyncio.run(cell()) == 3

    async def idle_tokens() -> int:
        return await asyncio.wait_for(_worker_idle_tokens(), 30)

    assert asyncio.run(idle_tokens()) - reference_prompt < 40  # prompt + template + a few tokens, not 64 more


def test_sync_bridge_raises_bad_input_in_the_caller() -> None:
    with pytest.raises(g4f_jupyter.G4FError) as info:
        g4f_jupyter.ask("hi", provider="NoSuchProvider")
    assert info.value.status == 404


def test_settings_defaults_then_provider_file_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("G4F_LOCAL_THREADS", raising=False)
    monkeypatch.setenv("G4F_LOCAL_THREADS_BATCH", "3")
    merged = local.local_settings({"n_threads": 2, "n_threads_batch": 1, "repeat_penalty": 1.5})
    assert merged["repeat_penalty"] == 1.5 and merged["max_tokens"] == local.DEFAULTS["max_tokens"]
    assert (merged["n_threads"], merged["n_threads_batch"]) == (2, 3)  # the variable wins over the file
    monkeypatch.setenv("G4F_LOCAL_THREADS", "not a number")
    assert local.local_settings()["n_threads"] >= 1  # a malformed variable keeps the default


CHAT_A_SYSTEM = "You answer questions about the harbour. " + " ".join(
    f"Pier {i} holds {i * 3} boats and opens at {6 + i % 5} o'clock." for i in range(60)
)


@pytest.mark.asyncio
async def test_interleaved_chats_each_resume_their_own_prefix() -> None:
    """Chat A's long first turn is read once: after chat B ran in between, A's follow-up evaluates only its new turn."""
    chat_a = [{"role": "system", "content": CHAT_A_SYSTEM}, {"role": "user", "content": "Which pier opens first?"}]
    first = await _run(chat_a, max_tokens=12)
    assert _usage(first).prompt_tokens > 600
    assert _usage(first).extra["prompt_tokens_details"]["cached_tokens"] < 10  # at most the template's opening
    cached = _usage(first).extra["prompt_tokens_details"]["cached_tokens"]
    assert await _on_worker(_prompt_tokens_evaluated) == _usage(first).prompt_tokens - cached

    other = await _run([{"role": "user", "content": "Name a colour."}], max_tokens=6)  # replaces A in the live context
    assert _usage(other).extra["prompt_tokens_details"]["cached_tokens"] < 40  # only the template's system prompt

    follow_up = [*chat_a, {"role": "assistant", "content": _text(first)}, {"role": "user", "content": "And the last?"}]
    second = await _run(follow_up, max_tokens=6)
    evaluated = await _on_worker(_prompt_tokens_evaluated)
    usage = _usage(second)
    assert usage.prompt_tokens > _usage(first).prompt_tokens
    assert evaluated < 40  # the new turn (and the end of the answer, if it re-tokenises differently), not 600
    assert usage.extra["prompt_tokens_details"]["cached_tokens"] == usage.prompt_tokens - evaluated


@pytest.mark.asyncio
async def test_shutdown_stops_the_answer_drops_the_queue_and_frees_the_model() -> None:
    running = run_chat(ChatRequest(LONG_PROMPT, options={"temperature": 0, "max_tokens": 400}))
    queued = run_chat(ChatRequest([{"role": "user", "content": "Hi"}], options={"max_tokens": 8}))
    queued_events = asyncio.ensure_future(_collect(queued))
    async with contextlib.aclosing(running):
        async for event in running:
            if isinstance(event, Content):
                break
        await asyncio.wait_for(asyncio.to_thread(local.shutdown), 30)  # returns once the worker has stopped
        rest = [event async for event in running]
    assert local._model is None
    assert rest[-1] == Finish("cancelled")
    assert _usage(rest).completion_tokens < 100
    dropped = await asyncio.wait_for(queued_events, 30)
    [error] = [e for e in dropped if isinstance(e, Error)]
    assert "shut down" in error.message and not [e for e in dropped if isinstance(e, Content)]
    again = await asyncio.wait_for(_run([{"role": "user", "content": "Say hello."}], max_tokens=8), 120)
    assert _text(again) and again[-1].type == "finish"  # a new request loads the model again


async def _collect(stream: AsyncIterator[Event]) -> list[Event]:
    return [event async for event in stream]
