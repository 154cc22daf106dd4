"""A real JupyterLab server (with the installed g4f-jupyter Lab extension) for the panel and page tests,
a loopback echo provider and Chromium."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pages.echo_peer import EchoOpenAI, add_echo_provider
from playwright.async_api import Browser, async_playwright

from tests.conftest import Serve

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


@pytest.fixture
def lab(tmp_path: Path, start_lab: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    """JupyterLab under BASE_URL, serving a folder with notes.ipynb; (url with base, token)."""
    root = tmp_path / "nb"
    root.mkdir()
    (root / "notes.ipynb").write_text(json.dumps(NOTEBOOK))
    return start_lab(root, BASE_URL)


@pytest.fixture
def echo(loopback: Serve, user_providers_dir: Path) -> str:
    """Providers ``Echo`` (no key) and ``EchoKeyed`` (needs one) on one loopback echo server."""
    EchoOpenAI.authorizations.clear()
    base = loopback(EchoOpenAI) + "/v1"
    add_echo_provider(user_providers_dir, "Echo", base)
    add_echo_provider(user_providers_dir, "EchoKeyed", base, needs_key=True)
    return base


@pytest_asyncio.fixture
async def browser(chromium_options: dict[str, Any]) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        running = await pw.chromium.launch(**chromium_options)
        try:
            yield running
        finally:
            await running.close()
