"""A real ``jupyter server`` in its own process, with the extension, for measuring the server's memory.

The pytest-jupyter server runs inside the test process, whose memory the test's own
work would blur; a separate process has only the server's.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MiB = 1024 * 1024


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str  # ends with "/"
    token: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"token {self.token}"}, timeout=120)

    def _status(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {field} for the server process")

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak(self) -> int:
        """The most memory the server has held since the last :meth:`reset_peak` (VmHWM)."""
        return self._status("VmHWM")

    def reset_peak(self) -> None:
        """Start a new peak at the current RSS (Linux: ``5`` in ``clear_refs``)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server_process(root: Path, data_dir: Path, *options: str) -> Iterator[ServerProcess]:
    """Start ``jupyter server`` with the extension on a free port; stopped (killed if need be) after."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "G4F_JUPYTER_DATA_DIR": str(data_dir), "JUPYTER_RUNTIME_DIR": str(root / "runtime")}
    command = [
        sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1", "--no-browser",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--allow-root", "--ServerApp.jpserver_extensions={'g4f_jupyter': True}", *options,
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = ServerProcess(process, f"http://127.0.0.1:{port}/", token)
    try:
        deadline = time.monotonic() + 60
        with server.client() as client:
            while True:
                try:
                    if client.get("api/status").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
