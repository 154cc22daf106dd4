"""``%%g4f -f code`` in real JupyterLab (Chromium): the code goes into a cell below the asking cell,
a re-run replaces that cell's code instead of adding another, and another magic cell gets its own.

The provider echoes the prompt (a loopback OpenAI-compatible server), so each answer is known."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pages.echo_peer import EchoOpenAI, add_echo_provider
from playwright.async_api import Locator, Page, async_playwright, expect

from g4f_jupyter.magics.render import CODE_MIME

MAGIC = "%%g4f -f code -p Echo --no-history\n"


def _ask_for(code: str) -> str:
    """A magic cell whose echoed answer is ``code`` in a fence."""
    return f"{MAGIC}```python\n{code}\n```"


NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {}, "outputs": [], "source": source}
        for cell_id, source in [
            ("load", "%load_ext g4f_jupyter"),
            ("ask-a", _ask_for("def first():\n    return 1")),
            ("ask-b", _ask_for("other = 2")),
        ]
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture
def echo(loopback: Callable[[type], str], user_providers_dir: Path) -> None:
    """Provider ``Echo``: answers with the prompt, for the kernel the Lab server starts."""
    add_echo_provider(user_providers_dir, "Echo", loopback(EchoOpenAI) + "/v1")


async def _run(page: Page, cell: Locator, count: int) -> None:
    """Run ``cell`` in place (Ctrl+Enter: no cell added after the last) and wait for execution ``count``."""
    await cell.locator(".cm-content").click()
    await page.keyboard.press("Control+Enter")
    await expect(cell.locator(".jp-InputPrompt")).to_contain_text(f"[{count}]", timeout=120_000)


async def _source(cell: Locator) -> str:
    return (await cell.locator(".cm-content").inner_text()).strip()


@pytest.mark.asyncio
async def test_a_rerun_replaces_the_code_cell_it_inserted_and_another_magic_cell_inserts_its_own(
    echo: None, lab: tuple[str, str], tmp_path: Path, artifacts_dir: Path, chromium_options: dict[str, Any]
) -> None:
    url, token = lab
    path = tmp_path / "nb" / "code.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{url}/lab/tree/code.ipynb?token={token}", timeout=90_000)
            cells = page.locator(".jp-Notebook .jp-Cell")
            await expect(cells).to_have_count(3, timeout=90_000)
            # the status bar names the kernel once it is connected (the toolbar's dot says idle before that)
            kernel = page.locator(".jp-StatusBar-Item", has_text=re.compile(r"Python 3 \(ipykernel\) \| Idle"))
            await expect(kernel.first).to_be_visible(timeout=90_000)
            await _run(page, cells.nth(0), 1)

            # the first run inserts a code cell below the asking cell
            await _run(page, cells.nth(1), 2)
            await expect(cells).to_have_count(4)
            await expect(cells.nth(2).locator(".cm-content")).to_have_text("def first():    return 1")
            await expect(cells.nth(1).locator(".jp-OutputArea")).to_contain_text("The code is in the cell below")

            # edit the prompt, run again: the same cell holds the new code, and no cell is added
            await cells.nth(1).locator(".cm-content").click()
            await page.keyboard.press("Control+a")
            await page.keyboard.insert_text(_ask_for("def second():\n    return 2"))
            await _run(page, cells.nth(1), 3)
            await expect(cells.nth(2).locator(".cm-content")).to_have_text("def second():    return 2")
            await expect(cells).to_have_count(4)

            # another magic cell (now the fourth) inserts its own, below itself; the first one's stays
            await _run(page, cells.nth(3), 4)
            await expect(cells).to_have_count(5)
            await expect(cells.nth(4).locator(".cm-content")).to_have_text("other = 2")
            assert await _source(cells.nth(2)) == "def second():\n    return 2"
            await page.screenshot(path=str(artifacts_dir / "lab-code-cell-replaced.png"))

            # saved: each inserted cell is tagged with the cell that asked; the bundle stays in the output
            await page.keyboard.press("Escape")
            await page.keyboard.press("Control+s")
            saved = await _saved(page, path)
            sources = ["".join(cell["source"]) for cell in saved["cells"]]
            ids = [cell["id"] for cell in saved["cells"]]
            assert sources[2] == "def second():\n    return 2" and sources[4] == "other = 2", sources
            assert ids[1] == "ask-a" and ids[3] == "ask-b"
            assert saved["cells"][2]["metadata"]["g4f_jupyter"] == {"source_cell": "ask-a"}
            assert saved["cells"][4]["metadata"]["g4f_jupyter"] == {"source_cell": "ask-b"}
            bundles = [o["data"][CODE_MIME] for o in saved["cells"][1]["outputs"] if CODE_MIME in o.get("data", {})]
            assert bundles == [{"code": "def second():\n    return 2", "source_cell": "ask-a"}]
        finally:
            await browser.close()


async def _saved(page: Page, path: Path) -> dict[str, Any]:
    """The notebook file once Lab has written the five cells to disk."""
    for _ in range(100):
        saved: dict[str, Any] = json.loads(path.read_text())
        if len(saved["cells"]) == 5:
            return saved
        await page.wait_for_timeout(100)
    raise AssertionError(f"not saved: {path.read_text()[:500]}")
