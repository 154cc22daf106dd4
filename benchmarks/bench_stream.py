"""Streaming overhead of the /conversation route, measured over real HTTP on loopback.

Starts a real Jupyter server with the extension (temporary data and config dirs, a token,
a free port) whose only extra provider is ``fast_provider.FastProvider``, then reports:

* time to the first content byte through the server vs. calling the provider directly;
* the gap between chunks of 100 and 1000 concurrent conversations (p50/p99).

Run: ``.venv/bin/python benchmarks/bench_stream.py [--chunks 20] [--delay-ms 20]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PROVIDER_TOML = """name = "Fast"
driver = "fast_provider:FastProvider"
default_model = "fast"
models = ["fast"]
order = 1
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(root: Path, port: int, token: str) -> subprocess.Popen:
    (root / "providers").mkdir()
    (root / "providers" / "Fast.toml").write_text(PROVIDER_TOML)
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
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    log = open(root / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen([sys.executable, "-m", "jupyter_server"], env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(server: subprocess.Popen, base: str, token: str) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if (await client.get(f"{base}api/status", headers={"Authorization": f"token {token}"})).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not start")


async def direct_first_chunk(samples: int) -> list[float]:
    """Seconds to the first event when calling the provider in-process."""
    from fast_provider import FastProvider

    from g4f_jupyter.core.provider import ProviderSpec

    provider = FastProvider(ProviderSpec(name="Fast", driver="fast_provider:FastProvider", default_model="fast"))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        stream = provider.create_async_generator("fast", [{"role": "user", "content": "hi"}], chunks=1)
        await stream.__anext__()
        times.append(time.perf_counter() - start)
        await stream.aclose()
    return times


async def server_first_chunk(
    port: int, path: str, token: str, samples: int, method: str = "POST", marker: bytes = b'"type":"content"'
) -> list[float]:
    """Seconds from sending the request to reading ``marker`` (the first content line), on a fresh loopback socket."""
    body = json.dumps({"provider": "Fast", "messages": [{"role": "user", "content": "hi"}], "chunks": 1}).encode()
    body = body if method == "POST" else b""
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: token {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    times = []
    for _ in range(samples):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        start = time.perf_counter()
        writer.write(request)
        buffer = b""
        while marker not in buffer.partition(b"\r\n\r\n")[2]:
            chunk = await reader.read(65536)
            if not chunk:
                raise RuntimeError(f"no content line: {buffer[:300]!r}")
            buffer += chunk
        times.append(time.perf_counter() - start)
        writer.close()
        await writer.wait_closed()
    return times


async def one_conversation(client: httpx.AsyncClient, url: str, chunks: int, delay_ms: float, gaps: list[float]) -> int:
    body = {"provider": "Fast", "messages": [{"role": "user", "content": "hi"}], "chunks": chunks, "delay_ms": delay_ms}
    last = None
    received = 0
    async with client.stream("POST", url, json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if '"type":"content"' not in line:
                continue
            now = time.perf_counter()
            if last is not None:
                gaps.append(now - last)
            last = now
            received += 1
    return received


async def raw_conversation(port: int, path: str, token: str, chunks: int, delay_ms: float, gaps: list[float]) -> int:
    """The same conversation on a bare asyncio socket: a client cheap enough not to hide the server's cost."""
    body = json.dumps(
        {"provider": "Fast", "messages": [{"role": "user", "content": "hi"}], "chunks": chunks, "delay_ms": delay_ms}
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: token {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )
    last, received = None, 0
    while data := await reader.read(65536):
        now = time.perf_counter()
        for _ in range(data.count(b'"type":"content"')):
            if last is not None:
                gaps.append(now - last)
            last = now
            received += 1
    writer.close()
    return received


async def concurrent(
    port: int, path: str, token: str, conversations: int, chunks: int, delay_ms: float, client_kind: str
) -> dict[str, float]:
    gaps: list[float] = []
    start = time.perf_counter()
    if client_kind == "httpx":
        limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
        url = f"http://127.0.0.1:{port}{path}"
        async with httpx.AsyncClient(headers={"Authorization": f"token {token}"}, limits=limits, timeout=300) as client:
            jobs = [one_conversation(client, url, chunks, delay_ms, gaps) for _ in range(conversations)]
            results = await asyncio.gather(*jobs, return_exceptions=True)
    else:
        jobs = [raw_conversation(port, path, token, chunks, delay_ms, gaps) for _ in range(conversations)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
    wall = time.perf_counter() - start
    errors = [r for r in results if not isinstance(r, int)]
    if errors:
        print(f"  {len(errors)} failed, e.g. {errors[0]!r}")
    gaps.sort()
    return {
        "p50": statistics.median(gaps) * 1000,
        "p99": gaps[int(len(gaps) * 0.99)] * 1000,
        "max": gaps[-1] * 1000,
        "wall": wall,
        "failures": sum(1 for r in results if r != chunks),
        "chunks/s": len(gaps) / wall,
    }


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process so far (Linux /proc), to see which side is the bottleneck."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values) * 1000, values[int(len(values) * 0.9)] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20, help="content events per conversation")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="pause between events (20 ms = 50 tokens/s)")
    parser.add_argument("--samples", type=int, default=200, help="sequential requests for the first-byte figures")
    args = parser.parse_args()
    port, token = free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="g4f-bench-") as tmp:
        root = Path(tmp)
        server = start_server(root, port, token)
        try:
            base = f"http://127.0.0.1:{port}/"
            try:
                await wait_ready(server, base, token)
            except RuntimeError:
                print((root / "server.log").read_text()[-3000:])
                raise
            path = "/backend-api/v2/conversation"
            await server_first_chunk(port, path, token, 20)  # warm up imports and the registry
            direct = ms(await direct_first_chunk(args.samples))
            status = ms(await server_first_chunk(port, "/api/status", token, args.samples, method="GET", marker=b"{"))
            served = ms(await server_first_chunk(port, path, token, args.samples))
            rows = [("Jupyter alone: GET api/status body", f"{status[0]:.3f}", f"{status[1]:.3f}", "baseline"),
                    ("first content, provider called directly", f"{direct[0]:.3f}", f"{direct[1]:.3f}", ""),
                    ("first content through the server (fresh socket)", f"{served[0]:.3f}", f"{served[1]:.3f}", ""),
                    ("added by the server", f"{served[0] - direct[0]:.3f}", f"{served[1] - direct[1]:.3f}", "goal <= 2 ms")]
            print(f"\nTime to first byte ({args.samples} sequential requests), ms")
            print(f"{'':50} {'p50':>9} {'p90':>9}")
            for name, p50, p90, note in rows:
                print(f"{name:50} {p50:>9} {p90:>9}  {note}")
            print(f"\nConcurrent conversations: {args.chunks} chunks each, {args.delay_ms:g} ms apart; gap between chunks, ms")
            print(f"{'client':>6} {'conversations':>13} {'p50':>8} {'p99':>8} {'max':>8} {'wall s':>7} {'chunks/s':>9} {'failed':>6}"
                  f" {'server cpu s':>12} {'client cpu s':>12}")
            for client_kind, count in (("raw", 100), ("raw", 1000), ("httpx", 100), ("httpx", 1000)):
                server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
                r = await concurrent(port, path, token, count, args.chunks, args.delay_ms, client_kind)
                server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
                print(f"{client_kind:>6} {count:>13} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['max']:>8.2f} {r['wall']:>7.2f} {r['chunks/s']:>9.0f}"
                      f" {r['failures']:>6} {server_cpu:>12.2f} {client_cpu:>12.2f}")
            print("goal: p99 < 50 ms at 1000 conversations")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    asyncio.run(main())
