"""The load client of ``bench_relay.py``: raw asyncio sockets, in its own process.

An httpx client saturates near 2,000 events/s on this machine, far below the servers it
should measure; this one only writes a pre-built request and counts a marker in the bytes
it reads. It is given one job as JSON on the command line and prints its figures as JSON.

Job keys: ``port``, ``request`` (the raw HTTP request, with ``Connection: close``),
``marker`` (one per content event), ``end`` (the last event's marker), ``expect`` (content
events per stream), ``mode`` (``loop``: ``concurrency`` workers repeat requests for
``seconds``; ``burst``: ``concurrency`` streams at once, one each; ``poll``: only the poll,
from a first line on standard input until it closes), and optionally ``poll`` (a raw request
sent one after another during the run, e.g. ``GET /version``).

Connects are paced: at most ``CONNECTING`` streams may be connected and still unanswered,
because a server's accept queue (Tornado listens with a backlog of 128) silently drops
the connects beyond it, which then retry a second later.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

CONNECTING = 100  # streams connected but not yet answered, at most: below Tornado's listen backlog (128)


async def one_stream(
    port: int, request: bytes, marker: bytes, end: bytes, window: asyncio.Semaphore
) -> tuple[float, float, int, bool]:
    """(seconds to first content, seconds to the end, content events, complete) of one request.

    Times count from the call, so waiting for a place in ``window`` is part of them.
    """
    start = time.perf_counter()
    await window.acquire()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        answered = await reader.read(262144)
    except BaseException:
        window.release()
        raise
    window.release()
    try:
        first = 0.0
        count = 0
        complete = False
        marker_tail = end_tail = b""  # a marker split between two reads is found in the joined bytes
        data = answered
        while data:
            joined = marker_tail + data
            found = joined.count(marker)
            if found and not count:
                first = time.perf_counter() - start
            count += found
            marker_tail = joined[-(len(marker) - 1) :]  # too short to hold a whole (already counted) marker
            complete = complete or end in end_tail + data
            end_tail = data[-(len(end) - 1) :]
            data = await reader.read(262144)
        ok = complete and count > 0
        return first, time.perf_counter() - start, count, ok
    finally:
        writer.close()


async def poll(port: int, request: bytes, stop: asyncio.Event, times: list[float]) -> None:
    """Send ``request`` one after another until ``stop``; record each answer's time."""
    while not stop.is_set():
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        body = await reader.read()
        writer.close()
        if not body.startswith(b"HTTP/1.1 2"):
            raise RuntimeError(f"poll answered {body[:200]!r}")
        times.append(time.perf_counter() - start)
        await asyncio.sleep(0.01)


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


async def run(job: dict[str, Any]) -> dict[str, Any]:
    port, request = job["port"], job["request"].encode()
    marker, end, expect = job["marker"].encode(), job["end"].encode(), job["expect"]
    results: list[tuple[float, float, int, bool] | BaseException] = []
    stop = asyncio.Event()
    polled: list[float] = []
    if job["mode"] == "poll":  # measure from the caller's "go" line, so only the loaded period counts
        await asyncio.to_thread(sys.stdin.readline)
    poller = asyncio.ensure_future(poll(port, job["poll"].encode(), stop, polled)) if job.get("poll") else None
    window = asyncio.Semaphore(CONNECTING)
    started = time.perf_counter()
    if job["mode"] == "poll":  # only the poll, until standard input closes
        await asyncio.to_thread(sys.stdin.read)
    elif job["mode"] == "burst":
        jobs = [one_stream(port, request, marker, end, window) for _ in range(job["concurrency"])]
        results = list(await asyncio.gather(*jobs, return_exceptions=True))
    else:
        deadline = started + job["seconds"]

        async def worker() -> None:
            while time.perf_counter() < deadline:
                try:
                    results.append(await one_stream(port, request, marker, end, window))
                except Exception as exc:
                    results.append(exc)

        await asyncio.gather(*(worker() for _ in range(job["concurrency"])))
    wall = time.perf_counter() - started
    stop.set()
    if poller is not None:
        await poller
    good = [r for r in results if isinstance(r, tuple) and r[3] and r[2] == expect]
    bad = [r for r in results if r not in good]
    return {
        "requests": len(results),
        "errors": len(bad),
        "error_sample": repr(bad[0])[:300] if bad else "",
        "events": sum(r[2] for r in good),
        "wall": wall,
        "ttfc_p50": percentile([r[0] for r in good], 0.5),
        "ttfc_p99": percentile([r[0] for r in good], 0.99),
        "total_p50": percentile([r[1] for r in good], 0.5),
        "total_p99": percentile([r[1] for r in good], 0.99),
        "poll_p50": percentile(polled, 0.5),
        "poll_p99": percentile(polled, 0.99),
        "poll_max": max(polled, default=float("nan")),
        "polls": len(polled),
        "cpu": time.process_time(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))))
