"""The load client of ``bench_hub.py --users``: many streams at once, each its own raw request, in its own process.

Like ``load_client.py`` (whose stream reader it uses) but every stream has its own port and
request, since each hub user has their own path and token. Given one job as JSON on the
command line: ``streams`` (a list of ``{"port", "request"}``), ``marker`` (one per content
event), ``end`` (the last event's marker) and ``expect`` (content events per stream); prints
its figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from load_client import CONNECTING, one_stream, percentile


async def run(job: dict[str, Any]) -> dict[str, Any]:
    marker, end, expect = job["marker"].encode(), job["end"].encode(), job["expect"]
    window = asyncio.Semaphore(CONNECTING)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_stream(s["port"], s["request"].encode(), marker, end, window) for s in job["streams"]),
        return_exceptions=True,
    )
    wall = time.perf_counter() - started
    good = [r for r in results if isinstance(r, tuple) and r[3] and r[2] == expect]
    bad = [r for r in results if r not in good]
    return {
        "streams": len(results),
        "errors": len(bad),
        "error_sample": repr(bad[0])[:300] if bad else "",
        "wall": wall,
        "ttfc_p50": percentile([r[0] for r in good], 0.5),
        "ttfc_p99": percentile([r[0] for r in good], 0.99),
        "total_p50": percentile([r[1] for r in good], 0.5),
        "total_p99": percentile([r[1] for r in good], 0.99),
        "cpu": time.process_time(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))))
