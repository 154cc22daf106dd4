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


def start_server(root: Path, port: int, token: str) -> subprocess.Popen[bytes]:
    """``jupyter server`` with the extension, temporary config/data dirs and a token."""
    (root / "config").mkdir()
    config = {
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
        cpu_before, source_before = proc_stat(self.server_pid)[0], proc_stat(self.source_pid)[0]
        result = load(self.job(relay, delay_ms, mode, concurrency, seconds))
        result["server_cpu"] = proc_stat(self.server_pid)[0] - cpu_before
        result["source_cpu"] = proc_stat(self.source_pid)[0] - source_before
        if pollers is not None:
            result["pollers"] = self.stop_pollers(pollers)
        return result


HEADER = (
    f"{'source':>6} {'conc':>5} {'path':>6} {'req':>6} {'req/s':>7} {'events/s':>9} {'ttfc p50':>9} {'ttfc p99':>9}"
    f" {'total p50':>10} {'total p99':>10} {'errors':>6} {'srv cpu':>8} {'src cpu':>8} {'cli cpu':>8}"
    f" {'ms/req':>7} {'us/event':>8}"
)


def row(source: str, concurrency: int, path: str, r: dict[str, Any]) -> str:
    return (
        f"{source:>6} {concurrency:>5} {path:>6} {r['requests']:>6} {r['requests'] / r['wall']:>7.0f}"
        f" {r['events'] / r['wall']:>9.0f} {r['ttfc_p50'] * 1000:>9.1f} {r['ttfc_p99'] * 1000:>9.1f}"
        f" {r['total_p50'] * 1000:>10.1f} {r['total_p99'] * 1000:>10.1f}"
        f" {r['errors']:>6} {r['server_cpu'] if path == 'relay' else 0:>8.2f} {r['source_cpu']:>8.2f} {r['cpu']:>8.2f}"
        + (
            f" {r['server_cpu'] / max(r['requests'], 1) * 1e3:>7.2f}"
            f" {r['server_cpu'] / max(r['events'], 1) * 1e6:>8.1f}"
            if path == "relay"
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each no-delay measurement")
    parser.add_argument("--chunks", type=int, default=50, help="content chunks per stream")
    parser.add_argument("--fast", default="1,10,50", help="concurrency levels on the no-delay source")
    parser.add_argument("--bursts", default="100,200,500,1000", help="burst sizes on the 20 ms source")
    args = parser.parse_args()
    fast = [int(n) for n in args.fast.split(",") if n]
    bursts = [int(n) for n in args.bursts.split(",") if n]
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="g4f-relay-") as tmp:
        root = Path(tmp)
        source_port = free_port()
        source = start_source(source_port, args.chunks, root / "source.log")
        server_port = free_port()
        server = start_server(root, server_port, token)
        try:
            bench = Bench((source_port, source.pid), (server_port, server.pid), token, args.chunks)
            warm = bench.measure(True, 0, "loop", 4, 2.0)  # imports, registry, the pooled client
            if warm["errors"]:
                print("warm-up failed:", warm["error_sample"], (root / "server.log").read_text()[-2000:])
                return
            rss_before, sockets_before = proc_stat(server.pid)[1], open_sockets(server.pid)
            floor = bench.floor(args.seconds)
            idle = bench.idle_pollers()
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
            rss_after, sockets_after = proc_stat(server.pid)[1], open_sockets(server.pid)
            report(summary, rss_before, rss_after)
            print(f"  server sockets open: {sockets_before} before, {sockets_after} after the bursts")
        finally:
            server.terminate()
            source.terminate()
            server.wait(timeout=20)
            source.wait(timeout=20)


def report(summary: dict[str, Any], rss_before: int, rss_after: int) -> None:
    print("\nRelay efficiency (events/s through us ÷ direct):")
    for name, (direct, relay) in ((k, v) for k, v in summary.items() if k.startswith(("fast", "burst"))):
        ratio = (relay["events"] / relay["wall"]) / max(direct["events"] / direct["wall"], 1e-9)
        print(f"  {name:>10}: {ratio:.2f}")
    print("\nGoals:")
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
        print(
            f"  server CPU per request of {relay['events'] // max(relay['requests'], 1)} events, 1 stream"
            f" {relay['server_cpu'] / relay['requests'] * 1e3:>6.2f} ms"
            f" (Jupyter's floor {summary['floor'] * 1e3:.2f} ms)"
            "   goal <= 0.4 ms"
        )
    if "fast10" in summary:
        relay = summary["fast10"][1]
        print(
            f"  server CPU per relayed event, 10 streams {relay['server_cpu'] / relay['events'] * 1e6:>13.1f} us"
            "   goal <= 10 us"
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
    growth = (rss_after - rss_before) / rss_before * 100
    print(
        f"  server RSS {rss_before / 2**20:.1f} MiB before, {rss_after / 2**20:.1f} MiB after the bursts"
        f" ({growth:+.1f} %)"
        "   goal within 10 %"
    )


if __name__ == "__main__":
    main()
