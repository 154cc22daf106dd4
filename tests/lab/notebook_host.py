"""A notebook in real JupyterLab beside the chat panel, driven as a person would (Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chat_host import PANEL_TAB, Chat
from playwright.async_api import Browser, Locator, Page, expect

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")


def notebook(*sources: str) -> dict[str, Any]:
    """An nbformat 4 notebook of code cells (ids c0, c1, …) with a kernelspec: Lab starts its kernel unasked."""
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": source}
        for i, source in enumerate(sources)
    ]
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC}, "nbformat": 4, "nbformat_minor": 5}


def quiet_inline_completer(tmp_path: Path) -> None:
    """Turn the g4f inline completer off in the Lab settings ``start_lab`` reads: clicks in cells ask nothing."""
    folder = tmp_path / "lab-settings" / "@jupyterlab" / "completer-extension"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inline-completer.jupyterlab-settings").write_text(json.dumps({"providers": {"g4f": {"enabled": False}}}))


async def open_notebook(browser: Browser, url: str, token: str, name: str, cells: int) -> tuple[Page, Locator]:
    """A new page with notebook ``name`` open and its kernel idle; the page and its cells."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(f"{url}/lab/tree/{name}?token={token}", timeout=90_000)
    located = page.locator(".jp-Notebook .jp-Cell")
    await expect(located).to_have_count(cells, timeout=90_000)
    await expect(page.locator(".jp-StatusBar-Item", has_text=IDLE).first).to_be_visible(timeout=90_000)
    return page, located


async def open_panel(page: Page, url: str, token: str, provider: str, model: str) -> Chat:
    """The chat panel in the right sidebar with ``provider`` and ``model`` picked."""
    if not await page.locator(".g4f-lab-panel").is_visible():
        await page.locator(PANEL_TAB).click()
    chat = Chat("lab", page, url, token)
    await expect(chat.view).to_be_visible(timeout=60_000)
    await chat.pick(provider, model)
    return chat


async def run_cell(page: Page, cell: Locator, count: int) -> None:
    """Run ``cell`` in place (Ctrl+Enter) and wait for its execution ``count``."""
    await cell.locator(".cm-content").click()
    await page.keyboard.press("Control+Enter")
    await expect(cell.locator(".jp-InputPrompt")).to_contain_text(f"[{count}]", timeout=120_000)


async def source(cell: Locator) -> str:
    return (await cell.locator(".cm-content").inner_text()).strip()


async def palette(page: Page, label: str) -> None:
    """Run the command ``label`` from the command palette."""
    await page.keyboard.press("Control+Shift+c")
    box = page.locator(".lm-CommandPalette")
    await box.locator("input").fill(label)
    await box.locator(".lm-CommandPalette-item", has_text=label).first.click()


def chat_bodies(peer: type, question: str) -> list[dict[str, Any]]:
    """The chat requests the peer got whose last message is ``question`` (as typed)."""
    found = []
    for body in getattr(peer, "bodies", []):
        messages = body.get("messages") or []
        if messages and _text(messages[-1]) == question:
            found.append(body)
    return found


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


def context_text(body: dict[str, Any]) -> str:
    """Everything the request carried before its last message (system prompt, history, context)."""
    return "\n".join(_text(message) for message in body["messages"][:-1])
