"""A real JupyterLab server (with the installed g4f-jupyter Lab extension) for the panel tests."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# A notebook to insert code into: one cell, a kernelspec so Lab starts its kernel without asking.
NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "first", "metadata": {}, "outputs": [],
               "source": "x = 1"}],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


# Served below a base URL that needs escaping, as a hub would: every link must be built from it.
BASE_URL = "/a%40b/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on a free port under BASE_URL, serving a folder with notes.ipynb; (url with base, token)."""
    root = tmp_path / "nb"
    root.mkdir()
    (root / "notes.ipynb").write_text(json.dumps(NOTEBOOK))
    # answered "No" to Lab's news question, so its toast never covers the panel's buttons
    notification = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false"}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,  # G4F_JUPYTER_DATA_DIR / _PROVIDERS_DIR: this test's sandbox
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.token={token}", f"--notebook-dir={root}", f"--ServerApp.base_url={BASE_URL}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
    ]
    log_path = tmp_path / "lab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}{BASE_URL.rstrip('/')}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{url}/api/status", params={"token": token}, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.3)
            yield url, token
        finally:
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
