"""The embedded model end to end: real llama.cpp, real tokens, real cancellation and queueing."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import g4f_jupyter
from g4f_jupyter.core.drivers import local
from g4f_jupyter.core.events import Content, Error, Event, Finish, Usage
from g4f_jupyter.core.runner import ChatRequest, run_chat

LONG_PROMPT = [{"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]


async def _run(messages: list[dict], **options: object) -> list[Event]:
    request = ChatRequest(messages, options={"temperature": 0, "seed": 1, **options})
    return [event async for event in run_chat(request)]


def _text(events: list[Event]) -> str:
    return "".join(e.content for e in events if isinstance(e, Content))


def _usage(events: list[Event]) -> Usage:
    [usage] = [e for e in events if isinstance(e, Usage)]
    return usage


async def _worker_idle_tokens() -> int:
    """Tokens in the model's context once every queued job has finished (runs on the same single worker)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(local._executor, lambda: local.load_model().n_tokens)


@pytest.mark.asyncio
async def test_answer_usage_finish() -> None:
    events = await _run([{"role": "user", "content": "Say hello."}], max_tokens=24)
    assert [e.type for e in events][:2] == ["provider", "parameters"]
    assert [e.type for e in events][-2:] == ["usage", "finish"]
    assert _text(events).strip()
    usage = _usage(events)
    assert not usage.estimated and usage.completion_tokens > 0 and usage.prompt_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.extra == {"model": "SmolLM2-135M-Instruct", "provider": "Local"}


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
        async for event in run_chat(ChatRequest([{"role": "user", "content": prompt}], options={"max_tokens": 16, "temperature": 0})):
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


def test_fit_context_shortens_one_oversized_message_keeping_its_end() -> None:
    llm = local.load_model()
    huge = "lorem ipsum dolor sit amet " * 400 + "What is the answer?"
    [fitted] = local._fit_context(llm, [{"role": "user", "content": huge}], 300)
    assert fitted["content"].endswith("What is the answer?")
    assert len(llm.tokenize(fitted["content"].encode(), add_bos=False)) <= 300 - 32 - 6


@pytest.mark.asyncio
async def test_long_history_is_trimmed_not_refused() -> None:
    messages = _long_history()
    total = sum(len(local.load_model().tokenize(m["content"].encode(), add_bos=False)) for m in messages)
    assert total > 2 * local.load_model().n_ctx()
    # a large max_tokens reserves half the context for the answer, so the prompt evaluated stays small
    events = await _run(messages, max_tokens=1500, stop=[" ", "\n", "."])
    assert not [e for e in events if isinstance(e, Error)]
    assert events[-1].type == "finish"
    assert 0 < _usage(events).prompt_tokens <= local.load_model().n_ctx() // 2


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
