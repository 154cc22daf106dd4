"""Overhead of the provider core over raw llama.cpp for the embedded model.

Streams the same prompt through ``run_chat`` (LocalProvider: worker thread, event loop
hand-off, runner) and through ``Llama.create_chat_completion(stream=True)`` on the same
loaded model with the same settings, interleaving the two so a busy machine penalises
both alike. Raw runs execute on the driver's worker thread too: llama.cpp's OpenMP thread
team belongs to the calling thread, and alternating callers would charge that to one side.
The KV cache is reset before every run so each one evaluates the full prompt.

Goal: ours ≥ 0.95× raw tokens/s, and < 50 ms added to the first token.

    .venv/bin/python benchmarks/bench_local.py [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from g4f_jupyter.core.drivers.local import _executor, load_model
from g4f_jupyter.core.events import Content, Usage
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.core.runner import ChatRequest, run_chat

MESSAGES = [{"role": "user", "content": "Write a short story about a lighthouse keeper and a storm."}]


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
    for chunk in create(MESSAGES, stream=True, max_tokens=max_tokens, temperature=0, seed=seed):
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
    request = ChatRequest(MESSAGES, provider="Local", options={"max_tokens": max_tokens, "temperature": 0, "seed": seed})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    spec = get_registry().get("Local").spec
    llm = load_model(int(spec.settings.get("n_ctx", 2048)))
    clock = _Clock(llm)
    loop = asyncio.new_event_loop()
    _executor.submit(raw_run, llm.create_chat_completion, args.max_tokens, args.seed).result()  # warm-up both paths
    llm.create_chat_completion = clock  # only our path goes through the clock; raw_run calls clock.create
    ours_run(loop, clock, args.max_tokens, args.seed)

    raws: list[Run] = []
    ours: list[Run] = []
    same_text = True
    for index in range(args.runs):
        order = ("raw", "ours") if index % 2 == 0 else ("ours", "raw")
        texts = {}
        for which in order:
            if which == "raw":  # on the driver's own worker thread, so both use one llama.cpp thread team
                run, texts[which] = _executor.submit(raw_run, clock.create, args.max_tokens, args.seed).result()
            else:
                run, texts[which] = ours_run(loop, clock, args.max_tokens, args.seed)
            (raws if which == "raw" else ours).append(run)
        same_text &= texts["raw"] == texts["ours"]
    loop.close()

    raw_tps = statistics.median(r.tokens_per_second for r in raws)
    our_tps = statistics.median(r.tokens_per_second for r in ours)
    raw_ttft = statistics.median(r.first_token for r in raws) * 1000
    our_ttft = statistics.median(r.first_token for r in ours) * 1000
    print(f"model {spec.default_model}: n_ctx={llm.n_ctx()} threads={llm.n_threads} max_tokens={args.max_tokens} "
          f"temperature=0 seed={args.seed}, median of {args.runs} interleaved runs")
    print(f"tokens per run: raw {[r.tokens for r in raws]}, ours {[r.tokens for r in ours]}; identical text: {same_text}")
    print(f"tokens/s per run: raw {[round(r.tokens_per_second, 1) for r in raws]}, ours {[round(r.tokens_per_second, 1) for r in ours]}")
    print(f"first token ms per run: raw {[round(r.first_token * 1000) for r in raws]}, ours {[round(r.first_token * 1000) for r in ours]}")
    print(f"{'metric':<22}{'raw llama.cpp':>15}{'g4f-jupyter':>15}{'ours vs raw':>15}  goal")
    print(f"{'tokens/s (decode)':<22}{raw_tps:>15.1f}{our_tps:>15.1f}{our_tps / raw_tps:>14.3f}x  >= 0.95x")
    print(f"{'first token (ms)':<22}{raw_ttft:>15.1f}{our_ttft:>15.1f}{our_ttft - raw_ttft:>+13.1f}ms  < +50 ms")
    pair_ratio = statistics.median(o.tokens_per_second / r.tokens_per_second for r, o in zip(raws, ours) if r.tokens_per_second)
    pair_delta = statistics.median(o.first_token - r.first_token for r, o in zip(raws, ours)) * 1000
    print(f"paired (each run against its neighbour): tokens/s ratio {pair_ratio:.3f}x, first token {pair_delta:+.1f} ms")
    added = statistics.median(r.added for r in ours) * 1000
    print(f"first-token time spent outside llama.cpp in our runs (same-run measure, machine noise removed): {added:.1f} ms")


if __name__ == "__main__":
    main()
