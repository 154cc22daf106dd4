"""Relaying a provider's stream: the source read directly vs. through our server, in one run.

Three processes besides this one: ``openai_source.py`` (a fast OpenAI-compatible streaming
server), a real ``jupyter server`` with the extension and a token, and ``load_client.py``
(raw sockets), started once per measurement. Every row reads the same source first
directly, then through ``POST /backend-api/v2/conversation`` (provider ``Custom`` with the
source as ``base_url``), and prints requests/s, content events/s, time to first content and
total time (p50/p99), errors, and the CPU each side used, with the server's CPU per request
and per relayed content event (beside the same server's CPU per ``GET /api/status``, Jupyter's
own floor for one request on a new connection). Then: relay efficiency (through us ÷ direct),
first content added by the server at one stream, and while the 500-stream burst runs (each
beside the same measure on the idle server) ``GET /version``, a contents-API notebook save
(``PUT /api/contents``) and a kernel ``execute_request`` round trip through the server's
websocket (``bench_kernel.py --through``), each from its own process; and the server's RSS
(and open sockets) before and after the bursts.

``--relay-processes 0,1`` runs the whole series once per setting of
``c.G4FSettings.relay_processes`` (a fresh server each), so the server's process alone and
with relay workers are measured in the same run. CPU and RSS are given for the server's own
process ("main") and for its relay workers ("workers") apart; "all" is both.

Concurrency 1, 10 and 50 loop for ``--seconds`` on a no-delay source; 100, 200, 500 and
1,000 are one burst each on a source that sends its chunks 20 ms apart (1.0 s floor at 50).

Run (alone on the machine): ``flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_relay.py``
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RELAY_PATH = "/backend-api/v2/conversation"
DIRECT_MARKERS = ('"delta":{"content"', "[DONE]")
RELAY_MARKERS = ('"type":"content"', '"type":"finish"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_source(port: int, chunks: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(HERE / "openai_source.py"), "--port", str(port), "--chunks", str(chunks)]
    source = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/d0/v1/models", source)
    return source


def start_server(root: Path, port: int, token: str, relay_processes: int) -> subprocess.Popen[bytes]:
    """``jupyter server`` with the extension, temporary config/data dirs and a token."""
    root.mkdir()
    (root / "config").mkdir()
    config = {
        "G4FSettings": {"relay_processes": relay_processes},
        "ServerApp": {
            "jpserver_extensions": {"g4f_jupyter": True},
            "port": port,
            "ip": "127.0.0.1",
            "open_browser": False,
            "root_dir": str(root),
            "log_level": "WARN",
            "allow_root": True,
        },
        "IdentityProvider": {"token": token},
    }
    (root / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "jdata"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "G4F_JUPYTER_DATA_DIR": str(root / "data"),
        "G4F_JUPYTER_PROVIDERS_DIR": str(root / "providers"),
    }
    log = (root / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "jupyter_server"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/status", server, {"Authorization": f"token {token}"})
    except RuntimeError:
        print((root / "server.log").read_text()[-3000:])
        raise
    return server


def post(port: int, path: str, body: dict[str, Any], token: str | None = None) -> str:
    data = json.dumps(body)
    auth = f"Authorization: token {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(data.encode())}\r\nConnection: close\r\n\r\n{data}"
    )


def proc_stat(pid: int) -> tuple[float, int]:
    """(CPU seconds so far, RSS in bytes) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, int(fields[21]) * os.sysconf("SC_PAGE_SIZE")


def pss(pid: int) -> int:
    """Proportional set size in bytes: shared pages (the interpreter, libraries) counted once across processes."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (its relay workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def open_sockets(pid: int) -> int:
    """How many sockets a process holds (kept-alive provider connections among them)."""
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))


def load(job: dict[str, Any]) -> dict[str, Any]:
    """One measurement by a fresh load-client process."""
    done = subprocess.run(
        [sys.executable, str(HERE / "load_client.py"), json.dumps(job)], capture_output=True, check=True
    )
    return dict(json.loads(done.stdout))


class Bench:
    """The measurements of one run: which ports and processes, and what a stream is."""

    def __init__(self, source: tuple[int, int], server: tuple[int, int], token: str, chunks: int) -> None:
        (self.source_port, self.source_pid), (self.server_port, self.server_pid) = source, server
        self.token, self.chunks = token, chunks
        self.messages = [{"role": "user", "content": "Count to fifty."}]

    def workers(self) -> list[int]:
        return children(self.server_pid)

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of the server's process and of its relay workers (those alive now)."""
        return proc_stat(self.server_pid)[0], sum(proc_stat(pid)[0] for pid in self.workers())

    def rss(self) -> tuple[int, int, int, int]:
        """RSS of the server's process and of its relay workers together, then the same as PSS."""
        workers = self.workers()
        return (
            proc_stat(self.server_pid)[1], sum(proc_stat(pid)[1] for pid in workers),
            pss(self.server_pid), sum(pss(pid) for pid in workers),
        )

    def job(self, relay: bool, delay_ms: int, mode: str, concurrency: int, seconds: float) -> dict[str, Any]:
        base = f"http://127.0.0.1:{self.source_port}/d{delay_ms}/v1"
        if relay:
            body: dict[str, Any] = {"provider": "Custom", "model": "bench", "base_url": base, "messages": self.messages}
            port, request, markers = (
                self.server_port,
                post(self.server_port, RELAY_PATH, body, self.token),
                RELAY_MARKERS,
            )
        else:
            body = {"model": "bench", "messages": self.messages, "stream": True}
            port, request, markers = (
                self.source_port,
                post(self.source_port, f"/d{delay_ms}/v1/chat/completions", body),
                DIRECT_MARKERS,
            )
        return {
            "port": port,
            "request": request,
            "marker": markers[0],
            "end": markers[1],
            "expect": self.chunks,
            "mode": mode,
            "concurrency": concurrency,
            "seconds": seconds,
            "poll": "",
        }

    def _raw(self, method: str, path: str, body: str = "") -> str:
        length = f"Content-Type: application/json\r\nContent-Length: {len(body.encode())}\r\n" if body else ""
        return (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server_port}\r\n"
            f"Authorization: token {self.token}\r\n{length}Connection: close\r\n\r\n{body}"
        )

    def start_pollers(self) -> dict[str, subprocess.Popen[bytes]]:
        """The Jupyter side, each in its own process: ``/version``, a notebook save, a kernel round trip."""
        notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        save = json.dumps({"type": "notebook", "format": "json", "content": notebook})
        pollers = {}
        for name, request in (
            ("version", self._raw("GET", "/backend-api/v2/version")),
            ("save", self._raw("PUT", "/api/contents/bench.ipynb", save)),
        ):
            job = {"port": self.server_port, "request": "", "marker": "", "end": "", "expect": 0, "mode": "poll",
                   "concurrency": 0, "seconds": 0, "poll": request}
            command = [sys.executable, str(HERE / "load_client.py"), json.dumps(job)]
            pollers[name] = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        kernel = [
            sys.executable, str(HERE / "bench_kernel.py"),
            "--through", f"http://127.0.0.1:{self.server_port}", "--token", self.token,
        ]
        pollers["kernel"] = subprocess.Popen(kernel, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert pollers["kernel"].stdout is not None
        pollers["kernel"].stdout.readline()  # "ready": the kernel is up and warm
        time.sleep(0.5)  # the other pollers' imports done
        for poller in pollers.values():  # all start measuring now, so only the loaded period counts
            assert poller.stdin is not None
            poller.stdin.write(b"go\n")
            poller.stdin.flush()
        return pollers

    @staticmethod
    def stop_pollers(pollers: dict[str, subprocess.Popen[bytes]]) -> dict[str, Any]:
        figures = {}
        for name, poller in pollers.items():
            out, _ = poller.communicate(b"")
            data = json.loads(out.splitlines()[-1])
            if name == "kernel":
                figures[name] = {"p50": data["p50"], "p99": data["p99"], "max": data["max"], "n": data["n"]}
            else:
                keys = ("p50", "p99", "max")
                figures[name] = {**{k: data[f"poll_{k}"] for k in keys}, "n": data["polls"]}
        return figures

    def idle_pollers(self, seconds: float = 3.0) -> dict[str, Any]:
        pollers = self.start_pollers()
        time.sleep(seconds)
        return self.stop_pollers(pollers)

    def floor(self, seconds: float) -> float:
        """Server CPU per ``GET /api/status`` on a new connection (Jupyter's own per-request cost)."""
        job = {"port": self.server_port, "request": self._raw("GET", "/api/status"), "marker": '"started"',
               "end": '"started"', "expect": 1, "mode": "loop", "concurrency": 1, "seconds": seconds, "poll": ""}
        before = proc_stat(self.server_pid)[0]
        done = load(job)
        return float((proc_stat(self.server_pid)[0] - before) / max(done["requests"], 1))

    def measure(
        self, relay: bool, delay_ms: int, mode: str, concurrency: int, seconds: float, poll: bool = False
    ) -> dict[str, Any]:
        pollers = self.start_pollers() if poll else None  # their own processes: the streams' reading delays none
        (main_before, workers_before), source_before = self.cpu(), proc_stat(self.source_pid)[0]
        result = load(self.job(relay, delay_ms, mode, concurrency, seconds))
        main_after, workers_after = self.cpu()
        result["main_cpu"] = main_after - main_before
        result["worker_cpu"] = workers_after - workers_before
        result["server_cpu"] = result["main_cpu"] + result["worker_cpu"]
        result["source_cpu"] = proc_stat(self.source_pid)[0] - source_before
        if pollers is not None:
            result["pollers"] = self.stop_pollers(pollers)
        return result


HEADER = (
    f"{'source':>6} {'conc':>5} {'path':>6} {'req':>6} {'req/s':>7} {'events/s':>9} {'ttfc p50':>9} {'ttfc p99':>9}"
    f" {'total p50':>10} {'total p99':>10} {'errors':>6} {'main cpu':>8} {'wrk cpu':>8} {'src cpu':>8} {'cli cpu':>8}"
    f" {'ms/req main':>11} {'all':>6} {'us/event main':>13} {'all':>6}"
)


def row(source: str, concurrency: int, path: str, r: dict[str, Any]) -> str:
    relayed = path == "relay"
    requests, events = max(r["requests"], 1), max(r["events"], 1)
    return (
        f"{source:>6} {concurrency:>5} {path:>6} {r['requests']:>6} {r['requests'] / r['wall']:>7.0f}"
        f" {r['events'] / r['wall']:>9.0f} {r['ttfc_p50'] * 1000:>9.1f} {r['ttfc_p99'] * 1000:>9.1f}"
        f" {r['total_p50'] * 1000:>10.1f} {r['total_p99'] * 1000:>10.1f} {r['errors']:>6}"
        f" {r['main_cpu'] if relayed else 0:>8.2f} {r['worker_cpu'] if relayed else 0:>8.2f}"
        f" {r['source_cpu']:>8.2f} {r['cpu']:>8.2f}"
        + (
            f" {r['main_cpu'] / requests * 1e3:>11.2f} {r['server_cpu'] / requests * 1e3:>6.2f}"
            f" {r['main_cpu'] / events * 1e6:>13.1f} {r['server_cpu'] / events * 1e6:>6.1f}"
            if relayed
            else ""
        )
    )


def run_series(
    root: Path, source: tuple[int, int], token: str, args: argparse.Namespace, relay_processes: int
) -> dict[str, Any] | None:
    """Every measurement on a fresh server with ``relay_processes`` workers; the figures for the summary."""
    fast = [int(n) for n in args.fast.split(",") if n]
    bursts = [int(n) for n in args.bursts.split(",") if n]
    server_port = free_port()
    server_root = root / f"relay{relay_processes}"
    server = start_server(server_root, server_port, token, relay_processes)
    try:
        bench = Bench(source, (server_port, server.pid), token, args.chunks)
        warm = bench.measure(True, 0, "loop", 4, 2.0)  # imports, registry, the pooled client, the workers
        if warm["errors"]:
            print("warm-up failed:", warm["error_sample"], (server_root / "server.log").read_text()[-2000:])
            return None
        if relay_processes and len(bench.workers()) < relay_processes:
            log = (server_root / "server.log").read_text()[-2000:]
            print(f"only {len(bench.workers())} relay workers running:", log)
            return None
        rss_before, sockets_before = bench.rss(), open_sockets(server.pid)
        floor = bench.floor(args.seconds)
        idle = bench.idle_pollers()
        print(f"\n=== relay_processes = {relay_processes} ===")
        print(f"server CPU per GET /api/status on a new connection (Jupyter's floor): {floor * 1e3:.2f} ms")
        print(f"{args.chunks} content chunks per stream; times in ms; CPU in seconds\n{HEADER}")
        summary: dict[str, Any] = {"idle": idle, "floor": floor}
        for concurrency in fast:
            direct = bench.measure(False, 0, "loop", concurrency, args.seconds)
            relay = bench.measure(True, 0, "loop", concurrency, args.seconds)
            print(row("0 ms", concurrency, "direct", direct))
            print(row("0 ms", concurrency, "relay", relay))
            summary[f"fast{concurrency}"] = (direct, relay)
        for concurrency in bursts:
            direct = bench.measure(False, 20, "burst", concurrency, 0)
            relay = bench.measure(True, 20, "burst", concurrency, 0, poll=concurrency == 500)
            print(row("20 ms", concurrency, "direct", direct))
            print(row("20 ms", concurrency, "relay", relay))
            summary[f"burst{concurrency}"] = (direct, relay)
            time.sleep(1.0)
        time.sleep(3.0)  # keep-alive connections and buffers settle
        summary["rss"] = (rss_before, bench.rss())
        summary["sockets"] = (sockets_before, open_sockets(server.pid))
        report(summary)
        return summary
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each no-delay measurement")
    parser.add_argument("--chunks", type=int, default=50, help="content chunks per stream")
    parser.add_argument("--fast", default="1,10,50", help="concurrency levels on the no-delay source")
    parser.add_argument("--bursts", default="100,200,500,1000", help="burst sizes on the 20 ms source")
    parser.add_argument(
        "--relay-processes", default="0,1", help="settings of c.G4FSettings.relay_processes to measure, in turn"
    )
    args = parser.parse_args()
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="g4f-relay-") as tmp:
        root = Path(tmp)
        source_port = free_port()
        source = start_source(source_port, args.chunks, root / "source.log")
        try:
            results = {}
            for processes in (int(n) for n in args.relay_processes.split(",") if n):
                summary = run_series(root, (source_port, source.pid), token, args, processes)
                if summary is not None:
                    results[processes] = summary
            if len(results) > 1:
                compare(results)
        finally:
            source.terminate()
            source.wait(timeout=20)


def report(summary: dict[str, Any]) -> None:
    print("\nRelay efficiency (events/s through us ÷ direct):")
    for name, (direct, relay) in ((k, v) for k, v in summary.items() if k.startswith(("fast", "burst"))):
        ratio = (relay["events"] / relay["wall"]) / max(direct["events"] / direct["wall"], 1e-9)
        print(f"  {name:>10}: {ratio:.2f}")
    print("\nGoals (main: the server's own process; all: with its relay workers):")
    fast = [pair[1] for name, pair in summary.items() if name.startswith("fast")]
    best = max((r["events"] / r["wall"] for r in fast), default=0.0)
    print(f"  content events/s relayed (best no-delay row) {best:>10.0f}   goal >= 20,000")
    if "fast1" in summary:
        direct, relay = summary["fast1"]
        added = (relay["ttfc_p50"] - direct["ttfc_p50"]) * 1000
        print(f"  first content added by the server, 1 stream  {added:>10.2f} ms goal <= 2 ms (p50 vs direct)")
    for size in (500, 1000):
        if f"burst{size}" in summary:
            print(
                f"  {size} streams, errors {summary[f'burst{size}'][1]['errors']:>33}    goal 0"
            )
    if "fast1" in summary:
        relay = summary["fast1"][1]
        requests = max(relay["requests"], 1)
        print(
            f"  server CPU per request of {relay['events'] // requests} events, 1 stream:"
            f" main {relay['main_cpu'] / requests * 1e3:.2f} ms, all {relay['server_cpu'] / requests * 1e3:.2f} ms"
            f" (Jupyter's floor {summary['floor'] * 1e3:.2f} ms)   goal <= 0.4 ms"
        )
    if "fast10" in summary:
        relay = summary["fast10"][1]
        events = max(relay["events"], 1)
        print(
            f"  server CPU per relayed event, 10 streams: main {relay['main_cpu'] / events * 1e6:.1f} us,"
            f" all {relay['server_cpu'] / events * 1e6:.1f} us   goal <= 10 us"
        )
    if "burst200" in summary:
        direct, relay = summary["burst200"]
        print(
            f"  200 streams: first content p50 {relay['ttfc_p50'] * 1e3:.0f} ms (goal <= 100 ms),"
            f" total p50 {relay['total_p50'] / direct['total_p50']:.2f}x direct (goal <= 1.15x)"
        )
    goals = {"version": 50, "save": 100, "kernel": 50}
    if "burst500" in summary:
        busy = summary["burst500"][1]["pollers"]
        for name, figures in busy.items():
            quiet = summary["idle"][name]
            print(
                f"  {name:>7} during the 500 burst: p50 {figures['p50'] * 1e3:.1f} ms,"
                f" p99 {figures['p99'] * 1e3:.1f} ms,"
                f" max {figures['max'] * 1e3:.1f} ms (n={figures['n']}; idle p50 {quiet['p50'] * 1e3:.1f},"
                f" p99 {quiet['p99'] * 1e3:.1f} ms)   goal p99 <= {goals[name]} ms"
            )
    before, after = summary["rss"]
    growth = (after[0] - before[0]) / before[0] * 100
    print(
        f"  server RSS {before[0] / 2**20:.1f} MiB before, {after[0] / 2**20:.1f} MiB after the bursts"
        f" ({growth:+.1f} %)   goal within 10 %"
    )
    if before[1] or after[1]:
        print(
            f"  relay workers' RSS {before[1] / 2**20:.1f} MiB before, {after[1] / 2**20:.1f} MiB after;"
            f" PSS server {before[2] / 2**20:.1f} -> {after[2] / 2**20:.1f}, workers {before[3] / 2**20:.1f}"
            f" -> {after[3] / 2**20:.1f} MiB"
        )
    print(f"  server sockets open: {summary['sockets'][0]} before, {summary['sockets'][1]} after the bursts")


def compare(results: dict[int, dict[str, Any]]) -> None:
    """The goal figures of each setting side by side."""
    settings = sorted(results)
    print("\nSide by side (relay_processes = " + " / ".join(str(n) for n in settings) + "):")

    def line(label: str, value: Any) -> None:
        print(f"  {label:<52} " + " | ".join(f"{value(results[n]):>16}" for n in settings))

    def per_request(r: dict[str, Any], key: str) -> str:
        relay = r["fast1"][1]
        return f"{relay[key] / max(relay['requests'], 1) * 1e3:.2f} ms"

    def per_event(r: dict[str, Any], key: str) -> str:
        relay = r["fast10"][1]
        return f"{relay[key] / max(relay['events'], 1) * 1e6:.1f} us"

    if all("fast1" in r for r in results.values()):
        line("CPU per request, 1 stream: main", lambda r: per_request(r, "main_cpu"))
        line("CPU per request, 1 stream: main + workers", lambda r: per_request(r, "server_cpu"))
    if all("fast10" in r for r in results.values()):
        line("CPU per relayed event, 10 streams: main", lambda r: per_event(r, "main_cpu"))
        line("CPU per relayed event, 10 streams: main + workers", lambda r: per_event(r, "server_cpu"))
        line("events/s relayed, 10 streams", lambda r: f"{r['fast10'][1]['events'] / r['fast10'][1]['wall']:.0f}")
    if all("burst200" in r for r in results.values()):
        line("200 streams: first content p50", lambda r: f"{r['burst200'][1]['ttfc_p50'] * 1e3:.0f} ms")
        line(
            "200 streams: total p50 vs direct",
            lambda r: f"{r['burst200'][1]['total_p50'] / r['burst200'][0]['total_p50']:.2f}x",
        )
    if all("burst500" in r for r in results.values()):
        for name in ("version", "save", "kernel"):
            line(f"500 streams: {name} p99 (p50)", lambda r, n=name: (
                f"{r['burst500'][1]['pollers'][n]['p99'] * 1e3:.0f}"
                f" ({r['burst500'][1]['pollers'][n]['p50'] * 1e3:.0f}) ms"
            ))
        line("500 streams: total p50", lambda r: f"{r['burst500'][1]['total_p50'] * 1e3:.0f} ms")
        line("500 streams: CPU main / workers", lambda r: (
            f"{r['burst500'][1]['main_cpu']:.2f} / {r['burst500'][1]['worker_cpu']:.2f} s"
        ))
    if all("burst1000" in r for r in results.values()):
        line("1,000 streams: errors", lambda r: str(r["burst1000"][1]["errors"]))
        line("1,000 streams: total p50", lambda r: f"{r['burst1000'][1]['total_p50'] * 1e3:.0f} ms")
    line("RSS main before -> after", lambda r: f"{r['rss'][0][0] / 2**20:.0f} -> {r['rss'][1][0] / 2**20:.0f} MiB")
    line("RSS workers before -> after", lambda r: f"{r['rss'][0][1] / 2**20:.0f} -> {r['rss'][1][1] / 2**20:.0f} MiB")
    line("PSS main + workers before -> after", lambda r: (
        f"{(r['rss'][0][2] + r['rss'][0][3]) / 2**20:.0f} -> {(r['rss'][1][2] + r['rss'][1][3]) / 2**20:.0f} MiB"
    ))


if __name__ == "__main__":
    main()
