"""The embedded model measured: thread counts, overhead over raw llama.cpp, a grounded follow-up, sampling.

Sections (all by default, or pick with ``--only threads,overhead,followup,sampling``):

threads   prompt-reading tokens/s for each ``n_threads_batch`` and generation tokens/s for each
          ``n_threads``, on the machine as it is ("idle") and with a CPU burner process keeping
          one core busy ("busy"). Set on the loaded model with ``llama_set_n_threads``.
overhead  the same prompt streamed through ``run_chat`` (LocalProvider: worker thread, event loop
          hand-off, runner) and through ``Llama.create_chat_completion(stream=True)`` on the same
          model, interleaved so a busy machine penalises both alike; both run on the driver's worker
          thread (llama.cpp's thread team belongs to the calling thread). The KV cache is reset and
          the state cache off, so each run reads the whole prompt. Goal: decode at least 0.95 of raw.
followup  a chat grounded on a ~1,500-token bucket through the conversation service: first
          question, another chat in between, then a follow-up; first-token times and the prompt
          tokens llama.cpp evaluated, beside the follow-up with nothing reused. Goal: ≤ 1 s.
sampling  20 everyday prompts with the provider's sampling defaults: the share that runs into
          ``max_tokens`` (goal ≤ 10 %); ``--sampling-baseline`` adds the same without a repeat penalty.
prepare   a question sent 12 s after attaching a ~1,800-token bucket, from a cold model: once with the
          client's ``action: "prepare"`` sent at attaching time, once without; first content of the
          question and the prompt tokens it read. Goal: prepared ≤ 1.5 s.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_local.py [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import llama_cpp

from g4f_jupyter.core.drivers.local import load_model, local_settings, run_on_worker
from g4f_jupyter.core.events import Content, Event, Finish, Usage
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.core.runner import ChatRequest, run_chat

MESSAGES = [{"role": "user", "content": "Write a short story about a lighthouse keeper and a storm."}]
EVERYDAY = [
    "Make a markdown table of three fruits and their colours.",
    "Write a haiku about rain.",
    "List five tips for better sleep.",
    "Explain what a CPU does in two sentences.",
    "Translate 'good morning, how are you?' into French.",
    "Give me a simple recipe for pancakes.",
    "What is the capital of Japan?",
    "Write a short email declining a meeting invitation.",
    "Summarize the plot of Romeo and Juliet.",
    "Write a Python function that reverses a string.",
    "What are the benefits of regular exercise?",
    "Suggest three names for a cat.",
    "How do I boil an egg?",
    "Write a limerick about a dog.",
    "Explain photosynthesis simply.",
    "Give me a packing list for a weekend trip.",
    "What is 15% of 80?",
    "Write a tweet announcing a bake sale.",
    "Compare cats and dogs as pets.",
    "Describe the water cycle.",
]
NOTES = (
    "\n\n".join(
        f"Note {i}. The depot on street {i} stores {i * 7} crates of tea and opens at {6 + i % 5} o'clock; "
        "its keeper logs deliveries, checks the seals and reports damage every Friday."
        for i in range(33)
    )
    + "\n\nSecurity appendix. The vault code is 7431-ZEBRA. Only the night keeper knows it.\n"
)


# --- threads ---------------------------------------------------------------------------------


@contextlib.contextmanager
def busy_core(busy: bool) -> Iterator[None]:
    """A process spinning on one core for the duration (nothing when ``busy`` is false)."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    time.sleep(0.3 if busy else 0)
    try:
        yield
    finally:
        if burner is not None:
            burner.kill()
            burner.wait()


def _reading_speed(llm: Any, tokens: list[int]) -> float:
    llm.reset()
    start = time.perf_counter()
    llm.eval(tokens)
    return len(tokens) / (time.perf_counter() - start)


def _generation_speed(llm: Any, tokens: list[int], steps: int = 48) -> float:
    llm.reset()
    llm.eval(tokens[:64])
    start = time.perf_counter()
    for token in tokens[64 : 64 + steps]:
        llm.eval([token])  # one token per step, as generation does
    return steps / (time.perf_counter() - start)


def threads_section(repeats: int) -> None:
    llm = load_model()
    tokens = llm.tokenize(NOTES.encode(), add_bos=False)[:512]
    counts = list(range(1, max(2, os.cpu_count() or 2) + 1))
    settings = local_settings(get_registry().get("Local").spec.settings)
    print(
        f"\n## threads: {len(tokens)}-token prompt read, 48 tokens generated; median of {repeats}; "
        f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at start"
    )
    print(f"{'machine':<8}{'threads':>8}{'prompt tokens/s':>17}{'generation tokens/s':>21}")
    for busy in (False, True):
        with busy_core(busy):
            for n in counts:

                def measure(n: int = n) -> tuple[float, float]:
                    llama_cpp.llama_set_n_threads(llm.ctx, n, n)
                    read = statistics.median(_reading_speed(llm, tokens) for _ in range(repeats))
                    made = statistics.median(_generation_speed(llm, tokens) for _ in range(repeats))
                    return read, made

                read, made = run_on_worker(measure)
                print(f"{'busy' if busy else 'idle':<8}{n:>8}{read:>17.0f}{made:>21.1f}")
    run_on_worker(llama_cpp.llama_set_n_threads, llm.ctx, settings["n_threads"], settings["n_threads_batch"])
    print(f"in force: n_threads={settings['n_threads']} n_threads_batch={settings['n_threads_batch']}")


# --- overhead ---------------------------------------------------------------------------------


@dataclass
class Run:
    first_token: float  # seconds from the call to the first text
    tokens: int
    decode_seconds: float  # first text to last text
    added: float = 0.0  # ours only: time to first text spent outside llama.cpp (same run, so free of machine noise)

    @property
    def tokens_per_second(self) -> float:
        return (self.tokens - 1) / self.decode_seconds if self.tokens > 1 and self.decode_seconds > 0 else 0.0


def raw_run(create: Callable[..., Iterator[dict[str, Any]]], max_tokens: int, seed: int) -> tuple[Run, str]:
    load_model().reset()
    start = time.perf_counter()
    first = last = 0.0
    parts: list[str] = []
    options = {k: v for k, v in local_settings().items() if k in ("temperature", "top_p", "repeat_penalty")}
    for chunk in create(MESSAGES, stream=True, max_tokens=max_tokens, **{**options, "temperature": 0}, seed=seed):
        text = chunk["choices"][0].get("delta", {}).get("content")
        if text:
            last = time.perf_counter()
            first = first or last
            parts.append(text)
    return Run(first - start, len(parts), last - first), "".join(parts)


class _Clock:
    """Wraps the model's streaming call to note when llama.cpp was called and produced its first text."""

    def __init__(self, llm: Any) -> None:
        self.create = llm.create_chat_completion
        self.called = self.first_text = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.called, self.first_text = time.perf_counter(), 0.0
        for chunk in self.create(*args, **kwargs):
            if not self.first_text and chunk["choices"][0].get("delta", {}).get("content"):
                self.first_text = time.perf_counter()
            yield chunk


async def _ours(clock: _Clock, max_tokens: int, seed: int) -> tuple[Run, str]:
    request = ChatRequest(
        MESSAGES, provider="Local", options={"max_tokens": max_tokens, "temperature": 0, "seed": seed}
    )
    start = time.perf_counter()
    first = last = 0.0
    parts: list[str] = []
    tokens = 0
    async for event in run_chat(request):
        if isinstance(event, Content):
            last = time.perf_counter()
            first = first or last
            parts.append(event.content)
        elif isinstance(event, Usage):
            tokens = event.completion_tokens  # text events may carry several tokens; the first carries one
    inside_llama = clock.first_text - clock.called
    return Run(first - start, tokens, last - first, added=(first - start) - inside_llama), "".join(parts)


def ours_run(loop: asyncio.AbstractEventLoop, clock: _Clock, max_tokens: int, seed: int) -> tuple[Run, str]:
    load_model().reset()  # the worker is idle between runs
    return loop.run_until_complete(_ours(clock, max_tokens, seed))


def overhead_section(runs: int, max_tokens: int, seed: int) -> None:
    llm = load_model()
    cache, clock = llm.cache, _Clock(llm)
    llm.set_cache(None)  # every run reads the whole prompt
    loop = asyncio.new_event_loop()
    run_on_worker(raw_run, llm.create_chat_completion, max_tokens, seed)  # warm-up both paths
    llm.create_chat_completion = clock  # only our path goes through the clock; raw_run calls clock.create
    ours_run(loop, clock, max_tokens, seed)

    raws: list[Run] = []
    ours: list[Run] = []
    same_text = True
    for index in range(runs):
        order = ("raw", "ours") if index % 2 == 0 else ("ours", "raw")
        texts = {}
        for which in order:
            if which == "raw":  # on the driver's own worker thread, so both use one llama.cpp thread team
                run, texts[which] = run_on_worker(raw_run, clock.create, max_tokens, seed)
            else:
                run, texts[which] = ours_run(loop, clock, max_tokens, seed)
            (raws if which == "raw" else ours).append(run)
        same_text &= texts["raw"] == texts["ours"]
    loop.close()
    del llm.create_chat_completion
    llm.set_cache(cache)

    raw_tps = statistics.median(r.tokens_per_second for r in raws)
    our_tps = statistics.median(r.tokens_per_second for r in ours)
    raw_ttft = statistics.median(r.first_token for r in raws) * 1000
    our_ttft = statistics.median(r.first_token for r in ours) * 1000
    print(
        f"\n## overhead vs raw llama.cpp: n_ctx={llm.n_ctx()} threads={llm.n_threads}/{llm.n_threads_batch} "
        f"max_tokens={max_tokens} temperature=0 seed={seed}, median of {runs} interleaved runs"
    )
    print(
        f"tokens per run: raw {[r.tokens for r in raws]}, ours {[r.tokens for r in ours]}; identical text: {same_text}"
    )
    print(
        f"tokens/s per run: raw {[round(r.tokens_per_second, 1) for r in raws]}, "
        f"ours {[round(r.tokens_per_second, 1) for r in ours]}"
    )
    print(f"{'metric':<22}{'raw llama.cpp':>15}{'g4f-jupyter':>15}{'ours vs raw':>15}  goal")
    print(f"{'tokens/s (decode)':<22}{raw_tps:>15.1f}{our_tps:>15.1f}{our_tps / raw_tps:>14.3f}x  >= 0.95x")
    print(f"{'first token (ms)':<22}{raw_ttft:>15.1f}{our_ttft:>15.1f}{our_ttft - raw_ttft:>+13.1f}ms  < +50 ms")
    pair_ratio = statistics.median(
        o.tokens_per_second / r.tokens_per_second for r, o in zip(raws, ours, strict=True) if r.tokens_per_second
    )
    pair_delta = statistics.median(o.first_token - r.first_token for r, o in zip(raws, ours, strict=True)) * 1000
    print(
        f"paired (each run against its neighbour): tokens/s ratio {pair_ratio:.3f}x, first token {pair_delta:+.1f} ms"
    )
    best_raw = max(r.tokens_per_second for r in raws)
    best_ours = max(r.tokens_per_second for r in ours)
    print(
        f"best run each (the least disturbed on a shared machine): tokens/s raw {best_raw:.1f}, ours {best_ours:.1f}, "
        f"ratio {best_ours / best_raw:.3f}x"
    )
    added = statistics.median(r.added for r in ours) * 1000
    print(f"first-token time outside llama.cpp in our runs (same-run measure, machine noise removed): {added:.1f} ms")


# --- grounded follow-up -----------------------------------------------------------------------


@dataclass
class Turn:
    first_token_ms: float
    prompt_tokens: int
    evaluated: int
    answer: str
    finish_lag_ms: float  # last text to the finish event: saving the chat's state for reuse


async def _turn(messages: list[dict[str, Any]], max_tokens: int) -> Turn:
    from g4f_jupyter.service.conversation import open_conversation

    request = ChatRequest(messages, provider="Local", options={"max_tokens": max_tokens, "seed": 1})
    start = time.perf_counter()
    first = last = finished = 0.0
    events: list[Event] = []
    _, stream = open_conversation(request)
    async for event in stream:
        if isinstance(event, Content):
            last = time.perf_counter()
            first = first or last
        elif isinstance(event, Finish):
            finished = time.perf_counter()
        events.append(event)
    [usage] = [e for e in events if isinstance(e, Usage)]
    cached = usage.extra.get("prompt_tokens_details", {}).get("cached_tokens", 0)
    answer = "".join(e.content for e in events if isinstance(e, Content))
    lag = (finished - last) * 1000
    return Turn((first - start) * 1000, usage.prompt_tokens, usage.prompt_tokens - cached, answer, lag)


async def _followup(max_tokens: int) -> None:
    from g4f_jupyter.service.buckets import ground_messages, upload_files

    llm = load_model()
    upload_files("bench-notes", [("notes.txt", NOTES.encode())])
    bucket: list[dict[str, Any]] = [
        {"role": "user", "content": [{"bucket_id": "bench-notes", "url": "/backend-api/v2/files/bench-notes"}]}
    ]
    await ground_messages(bucket)  # the bucket's text is extracted once, as after an upload
    run_on_worker(llm.reset)
    if llm.cache is not None:
        llm.cache.cache_state.clear()
    chat: list[dict[str, Any]] = [*bucket, {"role": "user", "content": "What is the vault code?"}]
    first = await _turn(chat, max_tokens)
    follow_up: list[dict[str, Any]] = [
        *chat,
        {"role": "assistant", "content": first.answer},
        {"role": "user", "content": "Who knows it?"},
    ]
    straight = await _turn(follow_up, max_tokens)
    await _turn([{"role": "user", "content": "Name a fruit."}], 8)  # another chat takes the live context
    after_other = await _turn([*follow_up[:-1], {"role": "user", "content": "Who keeps the logs?"}], max_tokens)
    cache = llm.cache
    llm.set_cache(None)
    run_on_worker(llm.reset)
    cold = await _turn([*follow_up[:-1], {"role": "user", "content": "When does depot 3 open?"}], max_tokens)
    llm.set_cache(cache)

    print(
        f"\n## grounded follow-up: a {len(llm.tokenize(NOTES.encode(), add_bos=False))}-token bucket, "
        f"threads {llm.n_threads}/{llm.n_threads_batch}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'turn':<44}{'first token ms':>15}{'prompt tokens':>15}{'evaluated':>11}{'finish lag ms':>15}")
    for label, turn in (
        ("first question", first),
        ("follow-up", straight),
        ("follow-up after another chat ran between", after_other),
        ("follow-up, nothing reused (before)", cold),
    ):
        print(
            f"{label:<44}{turn.first_token_ms:>15.0f}{turn.prompt_tokens:>15}{turn.evaluated:>11}{turn.finish_lag_ms:>15.0f}"
        )
    print(
        f"follow-up first token vs first question: {straight.first_token_ms / first.first_token_ms:.2f}x "
        f"(goal: follow-up <= 1000 ms)"
    )


def followup_section(max_tokens: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["G4F_JUPYTER_DATA_DIR"] = data_dir
        asyncio.run(_followup(max_tokens))


# --- prepare ----------------------------------------------------------------------------------


async def _question_after_attaching(prepared: bool, wait: float, max_tokens: int) -> tuple[Turn, float]:
    """From a cold model: attach (and prepare, if asked), wait as a user types, then ask."""
    from g4f_jupyter.service.prepare import prepare_prompt

    llm = load_model()
    run_on_worker(llm.reset)
    if llm.cache is not None:
        llm.cache.cache_state.clear()
    attached: list[dict[str, Any]] = [
        {"role": "user", "content": [{"bucket_id": "bench-prepare", "url": "/backend-api/v2/files/bench-prepare"}]}
    ]
    started = time.perf_counter()
    request = ChatRequest(attached, provider="Local", options={"max_tokens": max_tokens})
    reading = asyncio.ensure_future(prepare_prompt(request)) if prepared else None
    await asyncio.sleep(wait)
    prepare_seconds = 0.0
    if reading is not None:
        await reading  # long done: it took less than the wait
        prepare_seconds = time.perf_counter() - started
    parts = [*attached[0]["content"], {"type": "text", "text": "What is the vault code?"}]
    question = [{"role": "user", "content": parts}]
    return await _turn(question, max_tokens), prepare_seconds


async def _prepare(wait: float, max_tokens: int) -> None:
    from g4f_jupyter.service.buckets import ground_messages, upload_files

    notes = "\n\n".join(  # the followup section's notes, more of them
        f"Note {i}. The depot on street {i} stores {i * 7} crates of tea and opens at {6 + i % 5} o'clock; "
        "its keeper logs deliveries, checks the seals and reports damage every Friday."
        for i in range(40)
    ) + "\n\nSecurity appendix. The vault code is 7431-ZEBRA. Only the night keeper knows it.\n"
    upload_files("bench-prepare", [("notes.txt", notes.encode())])
    ref = {"bucket_id": "bench-prepare", "url": "/backend-api/v2/files/bench-prepare"}
    await ground_messages([{"role": "user", "content": [ref]}])  # extracted once, as after an upload
    size = len(load_model().tokenize(notes.encode(), add_bos=False))
    load = os.getloadavg()[0]
    print(f"\n## question {wait:.0f} s after attaching a {size}-token bucket, cold model, load average {load:.2f}")
    print(f"{'client':<26}{'first content ms':>17}{'prompt tokens':>15}{'read':>7}{'prepare s':>11}")
    for label, prepared in (("without prepare", False), ("prepared when attached", True)):
        turn, took = await _question_after_attaching(prepared, wait, max_tokens)
        shown = f"{took:.1f}" if prepared else "-"
        print(f"{label:<26}{turn.first_token_ms:>17.0f}{turn.prompt_tokens:>15}{turn.evaluated:>7}{shown:>11}")
    print("goal: prepared first content <= 1500 ms")


def prepare_section(wait: float) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["G4F_JUPYTER_DATA_DIR"] = data_dir
        asyncio.run(_prepare(wait, 48))


# --- sampling ---------------------------------------------------------------------------------


async def _everyday(options: dict[str, Any]) -> tuple[int, list[int]]:
    """How many of the everyday prompts ran into ``max_tokens``, and each answer's length."""
    capped, lengths = 0, list[int]()
    for index, prompt in enumerate(EVERYDAY):
        request = ChatRequest(
            [{"role": "user", "content": prompt}], provider="Local", options={"seed": index, **options}
        )
        events = [event async for event in run_chat(request)]
        capped += Finish("length") in events
        lengths.extend(e.completion_tokens for e in events if isinstance(e, Usage))
    return capped, lengths


def sampling_section(baseline: bool) -> None:
    settings = local_settings(get_registry().get("Local").spec.settings)
    shown = {k: settings[k] for k in ("max_tokens", "temperature", "top_p", "repeat_penalty", "penalty_last_n")}
    print(f"\n## sampling: {len(EVERYDAY)} everyday prompts, seeds 0-{len(EVERYDAY) - 1}")
    variants: list[tuple[str, dict[str, Any]]] = [("defaults", {})] + (
        [("no repeat penalty", {"repeat_penalty": 1.0})] if baseline else []
    )
    for label, options in variants:
        start = time.perf_counter()
        capped, lengths = asyncio.run(_everyday(options))
        print(
            f"{label:<18} {shown | options}: hit max_tokens {capped}/{len(EVERYDAY)} "
            f"({100 * capped / len(EVERYDAY):.0f} %, goal <= 10 %), median answer {statistics.median(lengths):.0f} "
            f"tokens, {time.perf_counter() - start:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", default="threads,overhead,followup,sampling,prepare")
    parser.add_argument("--wait", type=float, default=12.0, help="prepare: seconds between attaching and asking")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="thread measurements per setting")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sampling-baseline", action="store_true")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    print(f"model {get_registry().get('Local').spec.default_model}, settings {local_settings()}")
    if "threads" in sections:
        threads_section(args.repeats)
    if "overhead" in sections:
        overhead_section(args.runs, args.max_tokens, args.seed)
    if "followup" in sections:
        followup_section(48)
    if "sampling" in sections:
        sampling_section(args.sampling_baseline)
    if "prepare" in sections:
        prepare_section(args.wait)


if __name__ == "__main__":
    main()
