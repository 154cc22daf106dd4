"""What typed validation costs a chat request: the request builder against plain ``json.loads``.

Both paths read the same ``/conversation`` body, in the same run, interleaved: the direct
path only parses it; the validated path parses it with the depth and Unicode checks and
builds the validated ``ChatRequest`` (every field's type and range, the operator's defaults).
Bodies: a short chat, a 20-turn chat (~20 KB) and a 200-turn chat (~200 KB). The cost is
paid once per request, before a provider is asked.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_validation.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from g4f_jupyter.service.request import build_request
from g4f_jupyter.service.settings import OperatorSettings
from g4f_jupyter.service.validation import parse_json

SETTINGS = OperatorSettings()


def _body(turns: int) -> bytes:
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": "word " * 200} for i in range(turns)]
    body: dict[str, Any] = {
        "messages": messages, "provider": "Local", "model": "", "temperature": 0.7, "max_tokens": 256,
        "top_p": 0.9, "stop": ["\n\n"], "seed": 1, "id": "m1", "conversation_id": "c1", "web_search": False,
        "aspect_ratio": "16:9", "download_media": True, "custom_setting": {"a": [1, 2]},
    }
    return json.dumps(body).encode()


def _per_call(work: Callable[[], object], seconds: float = 0.3) -> float:
    """Microseconds per call, over about ``seconds`` of calls."""
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        work()
        calls += 1
    return elapsed / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    print(f"{'body':>22} {'json.loads µs':>14} {'validated µs':>13} {'ratio':>6}")
    for turns in (1, 20, 200):
        raw = _body(turns)
        direct, validated = [], []
        for _ in range(rounds):  # interleaved, so a busy machine penalises both alike
            direct.append(_per_call(lambda raw=raw: json.loads(raw)))
            validated.append(_per_call(lambda raw=raw: build_request(parse_json(raw), settings=SETTINGS)))
        d, v = statistics.median(direct), statistics.median(validated)
        print(f"{f'{turns} turns, {len(raw) // 1024} KiB':>22} {d:14.1f} {v:13.1f} {v / d:6.2f}")


if __name__ == "__main__":
    main()
