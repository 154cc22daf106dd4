"""A body at twice the limit, declared or chunked, leaves the server's memory flat.

Measured on a real ``jupyter server`` process (its ``/proc/<pid>/status``), not the test's:
the peak resident size (VmHWM) may rise by less than 64 MiB while every upload route is
sent 100 MiB against the product's 50 MiB limit (every route that takes a body, and
every API route does: the base handler streams its body).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tornado.web import RequestHandler

from g4f_jupyter.server_ext import route_table
from g4f_jupyter.service.settings import OperatorSettings

LIMIT = OperatorSettings().max_body_bytes
BODY = 2 * LIMIT
MIB = 1024 * 1024
TOKEN = "memory-test-token"
SAMPLE = "membucket"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real ``jupyter server`` with the extension, on loopback: (base URL, pid)."""
    port = _free_port()
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {
                    "jpserver_extensions": {"g4f_jupyter": True},
                    "ip": "127.0.0.1",
                    "port": port,
                    "port_retries": 0,
                    "open_browser": False,
                    "root_dir": str(tmp_path),
                    "allow_root": True,
                },
                "IdentityProvider": {"token": TOKEN},
            }
        )
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "api/status", headers=auth(), timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("jupyter server did not start")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def auth() -> dict[str, str]:
    return {"Authorization": f"token {TOKEN}"}


def peak_rss(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    assert match
    return int(match.group(1)) * 1024


def pieces(total: int, size: int = MIB) -> Iterator[bytes]:
    chunk = b"x" * size
    for _ in range(total // size):
        yield chunk


def takes_a_body(handler: type) -> bool:
    return any(getattr(handler, m) is not getattr(RequestHandler, m) for m in ("post", "put", "patch"))


def body_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, with a sample value for its path parameters."""
    found = []
    for path, handler in route_table():
        for method in ("post", "put", "patch"):
            if getattr(handler, method) is not getattr(RequestHandler, method):
                found.append((method.upper(), re.sub(r"\([^)]*\)", SAMPLE, path)))
    return found


def test_every_route_that_takes_a_body_streams_it() -> None:
    assert {path for _, path in body_routes()} >= {
        "backend-api/v2/conversation",
        "backend-api/v2/upload_cookies",
        f"backend-api/v2/files/{SAMPLE}",
    }
    assert all(handler._stream_request_body for _, handler in route_table() if takes_a_body(handler))


def test_a_body_at_twice_the_limit_leaves_server_memory_flat(server: tuple[str, int]) -> None:
    base, pid = server
    with httpx.Client(headers=auth(), timeout=120) as client:
        for method, path in body_routes():  # warm up: imports and first-request work are not the body's cost
            client.request(method, base + path, content=b"{", headers={"Content-Type": "application/json"})
        before = peak_rss(pid)
        rises = {}
        for method, path in body_routes():
            for how in ("declared", "chunked"):
                headers = {"Content-Type": "application/json"}
                if how == "declared":
                    headers["Content-Length"] = str(BODY)
                response = client.request(method, base + path, content=pieces(BODY), headers=headers)
                assert response.status_code == 413, (method, path, how, response.status_code, response.text)
                assert "message" in response.json()["error"]
                rises[(f"{method} {path}", how)] = peak_rss(pid) - before
    print(f"\nserver peak RSS rise for {BODY // MIB} MiB bodies (limit {LIMIT // MIB} MiB):")
    for (path, how), rise in rises.items():
        print(f"  {path:45s} {how:9s} {rise / MIB:6.1f} MiB")
    assert max(rises.values()) < 64 * MIB, rises
