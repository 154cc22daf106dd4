"""Inline completion in real JupyterLab (Chromium): ghost text while typing in a code cell, Tab inserts it,
and typing on stops the running request, down to the provider.

The provider is an OpenAI-compatible loopback server with ``/v1/completions`` that streams its
suggestion slowly and records when a client leaves before the end, so the test sees each
request arrive and each cancellation reach it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.async_api import Browser, Page, Response, expect

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "above", "metadata": {}, "outputs": [],
         "source": "import math"},
        {"cell_type": "code", "execution_count": None, "id": "typed", "metadata": {}, "outputs": [], "source": ""},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


class SlowCompletions(BaseHTTPRequestHandler):
    """``POST /v1/completions``: the suggestion for ``area = math.`` in pieces 0.4 s apart; anything else slower."""

    protocol_version = "HTTP/1.1"
    requests: ClassVar[list[dict[str, Any]]] = []
    left: ClassVar[list[str]] = []  # the prompts whose client went away mid-stream
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            type(self).requests.append(body)
        prompt = str(body.get("prompt", ""))
        pieces = ["pi", " * radius", " ** 2\n"] if prompt.endswith("area = math.") else [f"_{i}" for i in range(40)]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for piece in pieces:
                data = f"data: {json.dumps({'choices': [{'text': piece, 'index': 0}]})}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(0.4)
            self.wfile.write(b"e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with self.lock:
                type(self).left.append(prompt)


@pytest.fixture
def peer(loopback: Callable[[type], str], user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch) -> type:
    """The slow provider, as the server's completion provider (the Lab settings name none)."""
    SlowCompletions.requests.clear()
    SlowCompletions.left.clear()
    base = loopback(SlowCompletions)
    (user_providers_dir / "Slow.toml").write_text(
        f'name = "Slow"\ndriver = "openai"\napi_base = "{base}/v1"\nmodels = ["m"]\n', "utf-8"
    )
    (user_providers_dir / "Tuned.toml").write_text(
        f'name = "Tuned"\ndriver = "openai"\napi_base = "{base}/v1"\nmodels = ["m", "tuned"]\n', "utf-8"
    )
    monkeypatch.setenv("G4F_JUPYTER_COMPLETION_PROVIDER", "Slow")
    return SlowCompletions


def lab_settings(tmp_path: Path, **g4f: str) -> None:
    """Settings > Inline Completer > g4f, as the Lab server started by ``start_lab`` reads them."""
    folder = tmp_path / "lab-settings" / "@jupyterlab" / "completer-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inline-completer.jupyterlab-settings").write_text(json.dumps({"providers": {"g4f": g4f}}))


async def _open(page: Page, url: str, token: str) -> None:
    await page.goto(f"{url}/lab/tree/area.ipynb?token={token}", timeout=90_000)
    await expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(2, timeout=90_000)
    kernel = page.locator(".jp-StatusBar-Item", has_text=re.compile(r"Python 3 \(ipykernel\) \| Idle"))
    await expect(kernel.first).to_be_visible(timeout=90_000)


@pytest.mark.asyncio
async def test_ghost_text_streams_in_and_tab_inserts_it(
    peer: type, start_lab: Callable[..., tuple[str, str]], tmp_path: Path, browser: Browser, artifacts_dir: Path
) -> None:
    root = tmp_path / "nb"
    root.mkdir()
    (root / "area.ipynb").write_text(json.dumps(NOTEBOOK))
    lab_settings(tmp_path, provider="Tuned", model="tuned")
    url, token = start_lab(root, "/a%40b/")
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await _open(page, url, token)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)

    def reads_ahead(response: Response) -> bool:  # the cell's context, sent as it gets the focus
        sent = json.loads(response.request.post_data or "{}") if response.url.endswith("/complete") else {}
        return sent.get("action") == "prepare" and sent.get("cell_context") == "import math"

    async with page.expect_response(reads_ahead, timeout=10_000) as prepared:
        await cell.locator(".cm-content").click()
    assert (await prepared.value).status == 204
    await page.keyboard.type("radius = 2\narea = math.")
    ghost = cell.locator(".jp-GhostText")
    await expect(ghost).to_have_text("pi", timeout=30_000)  # the first piece shows while the rest streams
    await expect(page.locator(".g4f-completion-status")).to_be_visible()
    await expect(ghost).to_have_text("pi * radius ** 2", timeout=10_000)  # it grew; the line ends the suggestion
    await page.screenshot(path=str(artifacts_dir / "lab-inline-completion.png"))
    await page.keyboard.press("Tab")
    await expect(cell.locator(".cm-content")).to_have_text(re.compile(r"area = math\.pi \* radius \*\* 2$"))
    await expect(ghost).to_have_count(0)
    await expect(page.locator(".g4f-completion-status")).to_be_hidden(timeout=10_000)
    [request] = [r for r in peer.requests if str(r["prompt"]).endswith("area = math.")]
    assert request["prompt"] == "import math\n\nradius = 2\narea = math."  # the cell above is the context
    assert request["model"] == "tuned"  # the Lab settings chose the provider and model


@pytest.mark.asyncio
async def test_typing_on_stops_the_running_request(
    peer: type, start_lab: Callable[..., tuple[str, str]], tmp_path: Path, browser: Browser
) -> None:
    root = tmp_path / "nb"
    root.mkdir()
    (root / "area.ipynb").write_text(json.dumps(NOTEBOOK))
    url, token = start_lab(root, "/a%40b/")
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await _open(page, url, token)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    await cell.locator(".cm-content").click()
    await page.keyboard.type("total = ma")
    ghost = cell.locator(".jp-GhostText")
    await expect(ghost).to_contain_text("_0", timeout=30_000)  # its suggestion is streaming (40 pieces, 16 s)
    await page.keyboard.type("x")
    deadline = time.monotonic() + 10
    while "import math\n\ntotal = ma" not in peer.left and time.monotonic() < deadline:
        await page.wait_for_timeout(100)
    assert "import math\n\ntotal = ma" in peer.left  # the provider saw the first request's client leave
    assert any(str(r["prompt"]).endswith("total = max") for r in peer.requests)  # and the keystroke asked anew
    assert {r["model"] for r in peer.requests} == {"m"}  # no Lab setting: the server's completion provider
    await page.keyboard.press("Escape")
    await expect(ghost).to_have_count(0)
