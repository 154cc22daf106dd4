"""Fixtures shared by the whole suite: a sandboxed data directory and a real Jupyter server."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

pytest_plugins = ["pytest_jupyter.jupyter_server"]

Serve = Callable[[type[BaseHTTPRequestHandler]], str]

# Debian's chromium, never a downloaded browser; flags that keep it off the network.
CHROMIUM_OPTIONS: dict[str, Any] = {
    "executable_path": "/usr/bin/chromium",
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


# The fast tier (`make test-fast`: pytest -m "not full") needs no embedded model, browser, kernel,
# JupyterHub or espeak and runs in well under a minute. Every module that needs one of them (or
# takes long) is named here, once; `make test` runs everything.
FULL_TIER: dict[str, str] = {
    "tests/core/test_core_local.py": "embedded model",
    "tests/core/test_core_openai.py": "embedded model behind llama_cpp.server",
    "tests/server/test_api_conversation.py": "embedded model",
    "tests/server/test_complete_local.py": "embedded model",
    "tests/server/test_conversation_prepare.py": "embedded model",
    "tests/server/test_api_misc.py": "embedded model, espeak",
    "tests/server/test_request_doors.py": "embedded model",
    "tests/server/test_current_client_bodies.py": "embedded model",
    "tests/server/test_generated_media.py": "embedded model",
    "tests/server/test_remote_providers.py": "embedded model behind our own server",
    "tests/server/test_hostile_inputs.py": "thousands of generated requests",
    "tests/server/test_body_memory.py": "a separate jupyter server",
    "tests/buckets/test_bucket_bombs.py": "a separate jupyter server",
    "tests/buckets/test_bucket_grounding.py": "embedded model",
    "tests/magics/test_magic_shell.py": "embedded model",
    "tests/magics/test_magic_kernel.py": "kernels",
    "tests/server/test_kernel_websocket_nodelay.py": "kernels",
    "tests/magics/test_magic_context_kernel.py": "kernels",
    "tests/packaging/": "builds the wheel",
    "tests/notebooks/": "kernels, embedded model",
    "tests/widgets/": "kernels, Chromium",
    "tests/conversations/test_conversation_kernels.py": "kernels",
    "tests/lab/": "JupyterLab in Chromium",
    "tests/hub/": "JupyterHub",
}
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`FULL_TIER` modules ``full``."""
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        if path in FULL_TIER or any(path.startswith(prefix) for prefix in FULL_TIER if prefix.endswith("/")):
            item.add_marker(pytest.mark.full)


@pytest.fixture
def restored_environment() -> Iterator[None]:
    """A test server exports its settings to the environment (for its kernels); undo that after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def g4f_data_dir(
    restored_environment: None, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own data directory and user provider directory, and no system-wide providers
    (a machine with ``/etc/jupyter/g4f/providers`` must not change what the tests see)."""
    data = tmp_path_factory.mktemp("g4f-data")
    providers = tmp_path_factory.mktemp("g4f-providers")
    monkeypatch.setenv("G4F_JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("G4F_JUPYTER_PROVIDERS_DIR", str(providers))
    monkeypatch.setenv("G4F_JUPYTER_SYSTEM_PROVIDERS_PATH", "")
    return data


@pytest.fixture
def user_providers_dir(g4f_data_dir: Path) -> Path:
    return Path(os.environ["G4F_JUPYTER_PROVIDERS_DIR"])


@pytest.fixture
def jp_asyncio_loop(_function_scoped_runner: Any) -> asyncio.AbstractEventLoop:
    """Run pytest-jupyter's server on the loop pytest-asyncio runs the test on.

    In strict mode pytest-asyncio runs a marked test in its own runner loop, made after
    pytest-jupyter's; without this the server would listen on a loop that never runs while
    the test awaits, and every request would time out.
    """
    return _function_scoped_runner.get_loop()


@pytest.fixture
def jp_server_config() -> dict:
    """Load the extension into pytest-jupyter's server."""
    return {"ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}}}


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots and other files kept after the run (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def server_url(jp_serverapp: Any, http_server_client: Any, jp_http_port: int, jp_base_url: str) -> str:
    """``http://127.0.0.1:<port><base_url>`` of the test server (``http_server_client`` starts it listening)."""
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def raw_fetch(server_url: str, jp_auth_header: dict[str, str]) -> Callable[..., Awaitable[HTTPResponse]]:
    """Fetch ``server_url + path`` exactly as written (no escaping), never raising for a status.

    ``auth=False`` sends no credentials; ``body`` may be a dict (sent as JSON).
    """

    async def fetch(path: str, method: str = "GET", body: Any = None, auth: bool = True, **kwargs: Any) -> HTTPResponse:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers.update(jp_auth_header)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        return await AsyncHTTPClient().fetch(
            server_url + path, method=method, body=body, headers=headers, raise_error=False,
            follow_redirects=False, request_timeout=kwargs.pop("request_timeout", 60), **kwargs,
        )

    return fetch


@pytest.fixture
def error_message() -> Callable[[HTTPResponse], str]:
    """The ``{"error": {"message"}}`` text of an error answer (fails the test if the shape is wrong)."""

    def message(response: HTTPResponse) -> str:
        assert response.headers["Content-Type"].startswith("application/json")
        return json.loads(response.body)["error"]["message"]

    return message


@pytest.fixture
def chromium_options() -> dict[str, Any]:
    """Keyword arguments for Playwright's ``chromium.launch``."""
    return dict(CHROMIUM_OPTIONS)


@pytest.fixture
def loopback() -> Iterator[Serve]:
    """Start ``handler`` on 127.0.0.1 (a free port) and return its base URL; stopped after the test."""
    servers: list[ThreadingHTTPServer] = []

    def serve(handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        # A short poll interval: shutdown() waits for the serving loop to notice (0.5 s per test by default).
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


StartLab = Callable[..., tuple[str, str]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def start_lab(tmp_path: Path) -> Iterator[StartLab]:
    """Start a real JupyterLab (with the installed extension) serving ``root``; returns (url with base, token).

    Lab's news question is answered "No", so its toast never covers what a test clicks; the
    server's kernels are shut down through the API, then the server, when the test ends.
    """
    servers: list[tuple[subprocess.Popen[bytes], str, str]] = []

    def start(root: Path, base_url: str = "/") -> tuple[str, str]:
        notification = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        port, token = _free_port(), secrets.token_hex(16)
        env = {
            **os.environ,  # G4F_JUPYTER_DATA_DIR / _PROVIDERS_DIR: this test's sandbox
            "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        }
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
            "--ip=127.0.0.1", f"--ServerApp.token={token}", f"--notebook-dir={root}",
            f"--ServerApp.base_url={base_url}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
        ]
        log_path = tmp_path / f"lab-{port}.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}{base_url.rstrip('/')}"
        servers.append((server, url, token))
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{url}/api/status", params={"token": token}, timeout=2).status_code == 200:
                    return url, token
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(0.3)

    yield start
    for server, url, token in servers:
        try:  # shut the kernels down through the API so none outlives the server
            for kernel in httpx.get(f"{url}/api/kernels", params={"token": token}, timeout=5).json():
                httpx.delete(f"{url}/api/kernels/{kernel['id']}", params={"token": token}, timeout=10)
        except httpx.HTTPError:
            pass
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
