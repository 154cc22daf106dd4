"""A real JupyterHub on loopback, started from the example ``hub/jupyterhub_config.py``.

configurable-http-proxy comes from the npm registry (``make test`` installs it under
``.venv/node``); the single-user servers are real ``jupyterhub-singleuser`` processes with
the extension; the shared model is llama-cpp-python's OpenAI-compatible server on the
embedded GGUF. Used by the tests and by ``benchmarks/bench_hub.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
NODE_BIN = REPO / ".venv" / "node" / "node_modules" / ".bin"
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:  # the proxy answers 404 until the hub's route is in
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (the hub takes its proxy, servers and service along), then SIGKILL."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _stop_leftover_proxy(pid_file: Path) -> None:
    """The hub stops its proxy on a clean exit; after a crash at startup the proxy may still be up."""
    with contextlib.suppress(OSError, ValueError):  # no pid file, or the proxy is already gone
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


def _clean_env() -> dict[str, str]:
    drop = ("PROXY", "JUPYTER", "G4F_", "JPY_")
    env = {k: v for k, v in os.environ.items() if not any(part in k.upper() for part in drop)}
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@contextmanager
def model_server(workdir: Path, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """The one shared model: ``python -m llama_cpp.server`` on the embedded GGUF (plus ``extra_args``);
    yields its ``/v1`` URL."""
    from g4f_jupyter.core.drivers.local import model_path

    port = free_port()
    log = workdir / "model-server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", *extra_args]
    proc = subprocess.Popen(command, env=_clean_env(), stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/v1/models", proc, log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        _stop(proc)


@dataclass
class Hub:
    url: str  # the hub's public URL, ends with "/"
    admin: httpx.Client
    state: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def add_user(self, name: str, groups: Sequence[str] = ()) -> str:
        """Create ``name`` (in ``groups``), start their server, and return a token of theirs (the user's own rights)."""
        self.admin.post(f"hub/api/users/{name}").raise_for_status()
        for group in groups:  # before the server starts, so it sees them from its first request
            if self.admin.get(f"hub/api/groups/{group}").status_code == 404:
                self.admin.post(f"hub/api/groups/{group}").raise_for_status()
            self.admin.post(f"hub/api/groups/{group}/users", json={"users": [name]}).raise_for_status()
        response = self.admin.post(f"hub/api/users/{name}/server")
        assert response.status_code in (201, 202), response.text
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.admin.get(f"hub/api/users/{name}").json()["servers"].get("", {}).get("ready"):
            assert time.monotonic() < deadline, f"{name}'s server did not start"
            time.sleep(0.3)
        token = self.admin.post(f"hub/api/users/{name}/tokens", json={"note": "test"}).json()["token"]
        self.tokens[name] = token
        return str(token)

    def client(self, user: str | None = None, base: str | None = None) -> httpx.Client:
        """A client of the hub's public URL (or ``base``), as ``user`` (their token) or anonymous."""
        headers = {"Authorization": f"token {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=base or self.url, headers=headers, timeout=120)

    def direct_url(self, user: str) -> str:
        """Where the proxy sends ``/user/<name>/``: the user's server itself, skipping the proxy."""
        routes = self.admin.get("hub/api/proxy").json()
        target = routes[f"/user/{user}/"]["target"]
        return f"{target.rstrip('/')}/user/{user}/"

    def shares_service_pid(self) -> int:
        """The pid of this hub's shares service: the process whose data directory is this hub's ``shares``."""
        data = f"G4F_JUPYTER_DATA_DIR={self.state / 'shares'}".encode()
        for proc in Path("/proc").iterdir():
            try:
                found = proc.name.isdigit() and data in (proc / "environ").read_bytes().split(b"\0")
                if found and b"g4f_jupyter.hub.shares_service" in (proc / "cmdline").read_bytes():
                    return int(proc.name)
            except OSError:  # gone, or not ours to read
                continue
        raise AssertionError("the shares service is not running")

    def server_pid(self, user: str) -> int:
        """The pid of ``user``'s single-user server, from the runtime file it wrote in its home."""
        runtime = self.state / "home" / user / ".local" / "share" / "jupyter" / "runtime"
        (info,) = runtime.glob("jpserver-*.json")
        return int(json.loads(info.read_text())["pid"])


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


@contextmanager
def hub(workdir: Path, model_url: str, public_shares: bool = False, extra_config: str = "") -> Iterator[Hub]:
    """JupyterHub from ``hub/jupyterhub_config.py`` on free ports, plus an admin service token for the test
    (``extra_config``: more lines of hub configuration, after the example's)."""
    if not shutil.which("configurable-http-proxy", path=str(NODE_BIN)) and not shutil.which("configurable-http-proxy"):
        raise RuntimeError("configurable-http-proxy is missing: `make test` installs it under .venv/node")
    state = workdir / "hub-state"
    state.mkdir()
    admin_token = secrets.token_hex(16)
    config = workdir / "jupyterhub_test_config.py"
    config.write_text(
        f"load_subconfig({str(REPO / 'hub' / 'jupyterhub_config.py')!r})\n"
        f"c.JupyterHub.services.append({{'name': 'g4f-test-admin', 'api_token': {admin_token!r}}})\n"
        "c.JupyterHub.load_roles.append({'name': 'g4f-test-admin', 'services': ['g4f-test-admin'],\n"
        "    'scopes': ['admin:users', 'admin:servers', 'admin:groups', 'tokens', 'proxy']})\n"
        + extra_config
    )
    port = free_port()
    env = _clean_env() | {
        "G4F_HUB_STATE": str(state),
        "G4F_HUB_PORT": str(port),
        "G4F_HUB_API_PORT": str(free_port()),
        "G4F_HUB_PROXY_API_PORT": str(free_port()),
        "G4F_HUB_SHARES_PORT": str(free_port()),
        "G4F_HUB_USAGE_PORT": str(free_port()),
        "G4F_HUB_MODEL_URL": model_url,
        "G4F_HUB_PUBLIC_SHARES": "true" if public_shares else "",
    }
    log = workdir / "jupyterhub.log"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)], cwd=workdir,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    admin = httpx.Client(base_url=url, headers={"Authorization": f"token {admin_token}"}, timeout=60)
    try:
        _wait_for(url + "hub/api/", proc, log)
        yield Hub(url, admin, state)
    finally:
        admin.close()
        _stop(proc)
        _stop_leftover_proxy(state / "proxy.pid")
