"""What ``refine_chunks_with_spacy`` costs a bucket read: the refine step against reading the text.

Both paths take the same text in the same run, interleaved: the direct path is what a read
already does with it (cut into chunks and encode, as it is written to ``plain.cache``); the
refine path sentencizes each chunk with spaCy's rule-based sentencizer and keeps the two
longest sentences. Texts: 256 KiB and 2 MiB of prose. Prints MiB/s of each and the ratio.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_refine.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from g4f_jupyter.service.buckets.refine import CHUNK_BYTES, refine_text

SENTENCES = [
    "The harbour master logged every ship that entered the bay during the long winter storms.",
    "It rained.",
    "Nobody expected the old lighthouse, rebuilt twice after fires, to guide the fleet home again.",
    "Nets dried on the wall while the gulls argued over the catch.",
]


def _text(size: int) -> str:
    paragraph = " ".join(SENTENCES) + "\n"
    return (paragraph * (size // len(paragraph) + 1))[:size]


def _direct(text: str) -> None:
    for start in range(0, len(text), CHUNK_BYTES):
        text[start : start + CHUNK_BYTES].encode("utf-8")


def _best(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    refine_text("Warm up. The pipeline is built once.")
    print(f"{'text':>8} {'direct MiB/s':>13} {'refine MiB/s':>13} {'refine/direct time':>19} {'kept':>6}")
    for size in (256 * 1024, 2 * 1024 * 1024):
        text = _text(size)
        direct = _best(lambda: _direct(text), rounds)  # noqa: B023 - used within the iteration
        refine = _best(lambda: refine_text(text), rounds)  # noqa: B023
        kept = len(refine_text(text)) / len(text)
        mib = size / 1024 / 1024
        print(f"{size // 1024:>6}KB {mib / direct:>13.1f} {mib / refine:>13.2f} {refine / direct:>18.0f}x {kept:>6.1%}")


if __name__ == "__main__":
    main()
