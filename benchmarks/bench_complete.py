"""Inline code completion on the embedded model: latency over HTTP and directly, cancellation, quality.

Sections (all by default, or pick with ``--only latency,cancel,quality,formats``):

latency  For each of ``--runs`` held-out snippets, its ~300 tokens of code before the cursor
         (Python standard library source, cut inside a line): the first suggestion with nothing
         of it read before ("cold": a cell or file first typed in), the same when the cell was
         read ahead as it got the focus (``action: "prepare"``, as the Lab extension sends it;
         the line's start typed in the 1.5 s since), the next keystroke's (one more character),
         and the suggestion after a pause in typing (the rest of the line and half of the next
         typed since the last suggestion). Each through a real ``jupyter server``
         process over HTTP (``POST /backend-api/v2/complete``) and directly
         (``service.complete.open_completion`` in this process, on its own copy of the model), in
         the same run. Time to the first content (the ghost text appears), to the finished
         suggestion, and the prompt tokens llama.cpp read (usage).
cancel   Request A reads a cold prompt (or generates a long block); request B, a few tokens,
         waits behind it on the model's one worker. A is cancelled (the HTTP connection closed,
         or the stream closed directly); B's first content comes after A freed the model and B
         ran: freed = (B's first content - cancel) - B's own time on an idle model.
quality  100 held-out snippets (other files than the development ones): the share of
         suggestions that ``ast`` parses with the line they complete, the share whose first line
         is exactly the rest of the cut line, and the mean edit similarity of that line.
formats  The prompt formats compared on 100 development snippets, through the driver: the code
         as the start of the assistant's fenced answer in a chat turn (chosen), and the plain code.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_complete.py [--runs 20] [--only ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_relay import free_port, wait_for
from code_snippets import Snippet, cut_snippets, line_matches, parses

COMPLETE = "/backend-api/v2/complete"
CONTEXT_TOKENS = 300


@dataclass
class Timing:
    first: float  # seconds to the first content (inf: the suggestion was empty)
    done: float  # seconds to the end of the stream
    text: str
    prompt: int
    read: int  # prompt tokens llama.cpp evaluated


def body(prefix: str, suffix: str = "", **extra: Any) -> dict[str, Any]:
    return {"prefix": prefix, "suffix": suffix, "language": "python", "path": "bench.py", **extra}


def _timing(start: float, first: float | None, text: str, usage: dict[str, Any]) -> Timing:
    cached = int(usage.get("prompt_tokens_details", {}).get("cached_tokens", 0))
    prompt = int(usage.get("prompt_tokens", 0))
    return Timing((first or float("inf")) - start, time.perf_counter() - start, text, prompt, prompt - cached)


# --- the two paths ----------------------------------------------------------------------------


async def direct(request: dict[str, Any]) -> Timing:
    """One completion through the service in this process."""
    from g4f_jupyter.core.events import Content, Usage
    from g4f_jupyter.service.complete import open_completion

    start, first, text, usage = time.perf_counter(), None, "", {}
    async for event in open_completion(request):
        if isinstance(event, Content):
            first = first or time.perf_counter()
            text += event.content
        elif isinstance(event, Usage):
            usage = {"prompt_tokens": event.prompt_tokens, **event.extra}
    return _timing(start, first, text, usage)


class Server:
    """A real ``jupyter server`` with the extension, in its own process, its own data and providers."""

    def __init__(self, root: Path) -> None:
        self.port, self.token = free_port(), secrets.token_hex(16)
        (root / "config").mkdir(parents=True)
        config = {
            "ServerApp": {
                "jpserver_extensions": {"g4f_jupyter": True}, "port": self.port, "ip": "127.0.0.1",
                "open_browser": False, "root_dir": str(root), "log_level": "WARN", "allow_root": True,
            },
            "IdentityProvider": {"token": self.token},
        }
        (root / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
        env = {
            **os.environ,
            **{f"JUPYTER_{kind.upper()}_DIR": str(root / kind) for kind in ("config", "data", "runtime")},
            "G4F_JUPYTER_DATA_DIR": str(root / "g4f-data"),
            "G4F_JUPYTER_PROVIDERS_DIR": str(root / "providers"),
        }
        log = (root / "server.log").open("wb")
        command = [sys.executable, "-m", "jupyter_server"]
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{self.port}/api/status", self.process, {"Authorization": f"token {self.token}"})

    def raw_request(self, request: dict[str, Any]) -> bytes:
        payload = json.dumps(request).encode()
        return (
            f"POST {COMPLETE} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: token {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload

    def complete(self, request: dict[str, Any]) -> Timing:
        """One completion over HTTP: NDJSON lines read as they come."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Authorization": f"token {self.token}", "Content-Type": "application/json"}
        start, first, text, usage = time.perf_counter(), None, "", {}
        connection.request("POST", COMPLETE, json.dumps(request), headers)
        response = connection.getresponse()
        assert response.status == 200, response.read()
        for line in iter(response.readline, b""):
            event = json.loads(line)
            if event["type"] == "content":
                first = first or time.perf_counter()
                text += event["content"]
            elif event["type"] == "usage":
                usage = event["usage"]
        connection.close()
        return _timing(start, first, text, usage)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --- latency ----------------------------------------------------------------------------------


def sized(snippet: Snippet, count_tokens: Callable[[str], int]) -> str:
    """The snippet's prefix from a line start, about ``CONTEXT_TOKENS`` tokens long."""
    lines = snippet.prefix.split("\n")
    while len(lines) > 2 and count_tokens("\n".join(lines[1:])) >= CONTEXT_TOKENS:
        lines = lines[1:]
    return "\n".join(lines)


def with_context(count: int, seed: int, count_tokens: Callable[[str], int]) -> list[tuple[Snippet, str]]:
    """``count`` held-out snippets that have ``CONTEXT_TOKENS`` of code before the cursor, with that code."""
    chosen: list[tuple[Snippet, str]] = []
    for snippet in cut_snippets(count * 4, part=1, seed=seed, context=2400):
        prefix = sized(snippet, count_tokens)
        if count_tokens(prefix) >= CONTEXT_TOKENS:
            chosen.append((snippet, prefix))
        if len(chosen) == count:
            break
    return chosen


def typing_steps(snippet: Snippet, prefix: str) -> dict[str, str]:
    """The three prefixes of one snippet: cold, the next keystroke, after a pause (a line and a half typed)."""
    following = [*snippet.suffix.split("\n"), "", ""][1]
    keystroke = prefix + snippet.rest[:1]
    pause = keystroke + snippet.rest[1:] + "\n" + following[: len(following) // 2]
    return {"cold": prefix, "keystroke": keystroke, "pause": pause}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f}" if seconds != float("inf") else "      -"


FOCUS_SECONDS = 1.5  # from the cell getting the focus to the first suggestion asked (the line's start typed)


async def focused_direct(prefix: str, suffix: str) -> Timing:
    """A cell read ahead when it got the focus, then its first suggestion: the line's start typed since."""
    from g4f_jupyter.service.complete import prepare_completion

    ahead = body(_line_start(prefix), suffix, path="focus.py", action="prepare")
    reading = asyncio.ensure_future(prepare_completion(ahead))
    await asyncio.sleep(FOCUS_SECONDS)
    timing = await direct(body(prefix, suffix, path="focus.py"))
    await reading
    return timing


def focused_http(server: Server, prefix: str, suffix: str) -> Timing:
    """The same over HTTP: the read-ahead request is not waited for, as the Lab extension does not."""
    reading = socket.create_connection(("127.0.0.1", server.port))
    reading.sendall(server.raw_request(body(_line_start(prefix), suffix, path="focus.py", action="prepare")))
    time.sleep(FOCUS_SECONDS)
    timing = server.complete(body(prefix, suffix, path="focus.py"))
    reading.recv(4096)
    reading.close()
    return timing


def _line_start(prefix: str) -> str:
    """The cell as it was when it got the focus: without the line being typed."""
    return prefix[: prefix.rfind("\n") + 1]


def latency_section(server: Server, loop: asyncio.AbstractEventLoop, runs: int, count_tokens: Any) -> None:
    results: dict[tuple[str, str], list[Timing]] = {}
    for index, (snippet, prefix) in enumerate(with_context(runs, 7, count_tokens)):
        steps = typing_steps(snippet, prefix)
        paths = ("http", "direct") if index % 2 == 0 else ("direct", "http")
        for path in paths:
            focused = (
                focused_http(server, prefix, snippet.suffix) if path == "http"
                else loop.run_until_complete(focused_direct(prefix, snippet.suffix))
            )
            results.setdefault((path, "focused"), []).append(focused)
            for step, typed in steps.items():
                request = body(typed, snippet.suffix)
                timing = server.complete(request) if path == "http" else loop.run_until_complete(direct(request))
                results.setdefault((path, step), []).append(timing)
    print(f"\n## latency: {runs} held-out snippets, ~{CONTEXT_TOKENS} tokens of code before the cursor; ms, p50 (p90)")
    print("cold: nothing of the cell read before; focused: read ahead when the cell got the focus, "
          f"{FOCUS_SECONDS} s before the first suggestion")
    print(f"{'suggestion':<12}{'path':<8}{'first content':>20}{'finished':>20}{'prompt':>8}{'read':>7}   goal")
    goals = {"cold": "<= 300 ms", "focused": "<= 300 ms", "pause": "<= 300 ms", "keystroke": "<= 150 ms"}
    for step in ("cold", "focused", "pause", "keystroke"):
        for path in ("direct", "http"):
            rows = results[(path, step)]
            first = [t.first for t in rows]
            done = [t.done for t in rows]
            print(
                f"{step:<12}{path:<8}{ms(statistics.median(first))} ({ms(percentile(first, 0.9)).strip()}){'':>4}"
                f"{ms(statistics.median(done))} ({ms(percentile(done, 0.9)).strip()}){'':>4}"
                f"{statistics.median(t.prompt for t in rows):>8.0f}{statistics.median(t.read for t in rows):>7.0f}"
                f"   {goals[step]} (first content)"
            )
        ratio = statistics.median(t.first for t in results[("http", step)]) / statistics.median(
            t.first for t in results[("direct", step)]
        )
        print(f"{'':<12}http/direct first content: {ratio:.2f}x")
    worst = max(t.read for t in results[("http", "keystroke")] + results[("direct", "keystroke")])
    print(f"most prompt tokens read by a next keystroke: {worst} (goal <= 40)")


# --- cancel -----------------------------------------------------------------------------------

LONG_BLOCK = "\n\nMONTHS = {'january': 1, 'february': 2, 'march': 3, 'april': 4, "  # the model writes on and on


def _cancel_requests(prefix: str, during: str, run: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(A, B): A reads a cold ~300-token prompt, or writes a long block; B is a few new tokens."""
    a = body(prefix) if during == "reading" else body(prefix + LONG_BLOCK, max_tokens=200)
    return a, body(f"value_{run} = 1\nprint(val")


def cancel_section(server: Server, loop: asyncio.AbstractEventLoop, runs: int, count_tokens: Any) -> None:
    from g4f_jupyter.core.drivers import local

    snippets = with_context(runs, 11, count_tokens)
    print(f"\n## cancel: {runs} runs each; freed = from the cancel to the model taking the next job (goal <= 50 ms)")
    for during in ("reading", "generating"):
        freed_direct, waited_http, idle_direct, idle_http = [], [], [], []
        for run, (_, prefix) in enumerate(snippets):
            a, b = _cancel_requests(prefix, during, run)
            other = body(f"other_{run} = 2\n")  # so that B reads its few tokens, as it does after A
            loop.run_until_complete(direct(other))
            idle_direct.append(loop.run_until_complete(direct(b)).first)
            freed_direct.append(loop.run_until_complete(_freed_direct(a, during, local.run_on_worker)))
            server.complete(other)
            idle_http.append(server.complete(b).first)
            waited_http.append(_freed_http(server, a, b, during))
        freed_http = [waited - statistics.median(idle_http) for waited in waited_http]
        print(
            f"during {during:<11} direct: freed p50 {ms(statistics.median(freed_direct)).strip()} ms, "
            f"max {ms(max(freed_direct)).strip()} ms | http: next request's wait p50 "
            f"{ms(statistics.median(freed_http)).strip()} ms, max {ms(max(freed_http)).strip()} ms "
            f"(B alone: {ms(statistics.median(idle_http)).strip()} ms http, "
            f"{ms(statistics.median(idle_direct)).strip()} ms direct)"
        )


async def _freed_direct(a: dict[str, Any], during: str, run_on_worker: Callable[..., float]) -> float:
    """Seconds from closing A's stream to the model's worker running the next job."""
    from g4f_jupyter.core.events import Content
    from g4f_jupyter.service.complete import open_completion

    stream = open_completion(a)

    async def consume() -> None:
        async for event in stream:
            if during == "generating" and isinstance(event, Content):
                return

    reading = asyncio.ensure_future(consume())
    if during == "reading":
        await asyncio.sleep(0.3)  # ~300 tokens take about a second to read
        cancelled = time.perf_counter()
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    else:
        await reading
        cancelled = time.perf_counter()
    await stream.aclose()
    return float(await asyncio.to_thread(run_on_worker, time.perf_counter)) - cancelled


def _freed_http(server: Server, a: dict[str, Any], b: dict[str, Any], during: str) -> float:
    """Seconds from closing A's connection to B's first content, B having waited behind A."""
    first = socket.create_connection(("127.0.0.1", server.port))
    first.sendall(server.raw_request(a))
    if during == "generating":
        seen = b""
        while b'"type":"content"' not in seen:
            seen += first.recv(65536)
    else:
        time.sleep(0.3)
    second = socket.create_connection(("127.0.0.1", server.port))
    second.sendall(server.raw_request(b))
    time.sleep(0.02)  # B is queued behind A
    cancelled = time.perf_counter()
    first.close()
    seen = b""
    while b'"type":"content"' not in seen and b'"type":"finish"' not in seen:
        chunk = second.recv(65536)
        if not chunk:
            break
        seen += chunk
    second.close()
    return time.perf_counter() - cancelled


# --- quality and formats ----------------------------------------------------------------------


def quality(loop: asyncio.AbstractEventLoop, snippets: list[Snippet]) -> dict[str, float]:
    parsed = exact = 0
    similar, firsts = [], []
    for snippet in snippets:
        timing = loop.run_until_complete(direct(body(snippet.prefix, snippet.suffix)))
        parsed += parses(snippet, timing.text)
        exact += line_matches(snippet, timing.text)
        first_line = timing.text.split("\n")[0].rstrip()
        similar.append(difflib.SequenceMatcher(None, first_line, snippet.rest.rstrip()).ratio())
        firsts.append(timing.first)
    count = len(snippets)
    return {"parse": parsed / count, "exact": exact / count, "similar": statistics.mean(similar),
            "first_p50": statistics.median(firsts)}


def quality_section(loop: asyncio.AbstractEventLoop, count: int) -> None:
    figures = quality(loop, cut_snippets(count, part=1, seed=1))
    print(f"\n## quality: {count} held-out snippets from the standard library (the baseline to beat)")
    print(
        f"parses with its line: {figures['parse']:.0%}   exact rest of the line: {figures['exact']:.0%}   "
        f"edit similarity: {figures['similar']:.2f}   first content p50: {ms(figures['first_p50']).strip()} ms"
    )


def formats_section(loop: asyncio.AbstractEventLoop, count: int) -> None:
    from g4f_jupyter.core.drivers import local_complete

    chosen = local_complete._prompt

    def plain(llm: Any, code: Any, budget: int) -> list[int]:
        tokens: list[int] = llm.tokenize(code.code_before().encode("utf-8"), add_bos=False)
        return tokens[-budget:]

    snippets = cut_snippets(count, part=0, seed=0)
    print(f"\n## formats: {count} development snippets")
    for name, prompt in (("chat turn, code in the answer (chosen)", chosen), ("plain code", plain)):
        local_complete._prompt = prompt
        try:
            figures = quality(loop, snippets)
        finally:
            local_complete._prompt = chosen
        print(
            f"{name:<40} parses {figures['parse']:.0%}  exact {figures['exact']:.0%}  "
            f"similarity {figures['similar']:.2f}  first content p50 {ms(figures['first_p50']).strip()} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--snippets", type=int, default=100)
    parser.add_argument("--only", default="latency,cancel,quality,formats")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        os.environ["G4F_JUPYTER_DATA_DIR"] = str(root / "data-direct")
        os.environ["G4F_JUPYTER_PROVIDERS_DIR"] = str(root / "providers-direct")
        from g4f_jupyter.core.drivers import local

        llm = local.load_model()

        def count_tokens(text: str) -> int:
            return len(llm.tokenize(text.encode("utf-8"), add_bos=False))

        loop = asyncio.new_event_loop()
        loop.run_until_complete(direct(body("import os\n")))  # warm: the model and its vocabulary loaded
        print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}")
        server = Server(root / "server") if sections & {"latency", "cancel"} else None
        try:
            if server is not None:
                server.complete(body("import os\n"))
            if "latency" in sections and server is not None:
                latency_section(server, loop, args.runs, count_tokens)
            if "cancel" in sections and server is not None:
                cancel_section(server, loop, max(args.runs // 2, 5), count_tokens)
            if "quality" in sections:
                quality_section(loop, args.snippets)
            if "formats" in sections:
                formats_section(loop, args.snippets)
        finally:
            if server is not None:
                server.stop()
            loop.close()


if __name__ == "__main__":
    main()
