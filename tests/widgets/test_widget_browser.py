"""The chat notebook in real JupyterLab in headless Chromium: run it, ask in the widget, see the answer."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "chat.ipynb"


@pytest.fixture
def lab(tmp_path: Path, start_lab: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    """JupyterLab serving a copy of notebooks/chat.ipynb; (url, token)."""
    root = tmp_path / "nb"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / "chat.ipynb")
    return start_lab(root)


async def _start_kernel(page: Page) -> None:
    """Accept JupyterLab's kernel dialog if it asks, then wait for the kernel to be idle."""
    idle = page.get_by_role("button", name="Python 3 (ipykernel) | Idle")
    select = page.locator(".jp-Dialog button", has_text="Select")
    deadline = time.monotonic() + 90
    while not await idle.count():
        if await select.count():
            await select.first.click()
        assert time.monotonic() < deadline, "the kernel did not start"
        await page.wait_for_timeout(250)


@pytest.mark.asyncio
async def test_chat_notebook_runs_in_jupyterlab_and_the_widget_answers_a_typed_question(
    lab: tuple[str, str], artifacts_dir: Path, chromium_options: dict[str, Any]
) -> None:
    url, token = lab
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 1000})
            await context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = await context.new_page()
            await page.goto(f"{url}/lab/tree/chat.ipynb?token={token}", timeout=90_000)
            await expect(page.locator(".jp-Notebook")).to_be_visible(timeout=90_000)
            await _start_kernel(page)

            await page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            await page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            chat = page.locator(".g4f-chat")
            await expect(chat).to_be_visible(timeout=90_000)
            await expect(page.get_by_text("4 messages")).to_be_visible(timeout=120_000)  # the last cell ran
            turns = chat.locator(".g4f-turn")
            await expect(turns).to_have_count(4)  # the programmatic question + the stopped story

            prompt = chat.locator("textarea[placeholder^='Ask something']")
            await prompt.fill("Name a fish")
            await prompt.press("Shift+Enter")  # a new line, nothing sent
            await prompt.press_sequentially("that lives in the sea.")
            assert await prompt.input_value() == "Name a fish\nthat lives in the sea."
            await expect(turns).to_have_count(4)
            await prompt.press("Enter")  # Enter sends
            await expect(turns).to_have_count(6, timeout=30_000)
            await expect(prompt).to_have_value("")
            await expect(turns.nth(4)).to_contain_text("that lives in the sea.")
            answer = turns.nth(5)
            await expect(answer.locator(".g4f-info", has_text="usage:")).to_be_visible(timeout=120_000)
            rendered = answer.locator(".jp-RenderedMarkdown")
            await expect(rendered).to_be_visible()
            assert (await rendered.inner_text()).strip(), "the answer is rendered as Markdown"
            await expect(answer).to_contain_text("SmolLM2-135M-Instruct")
            await expect(answer.locator(".g4f-thinking")).to_have_count(0)  # gone once the answer came

            # the stopped story says so as information, not as an error
            await expect(turns.nth(3).locator(".g4f-info", has_text="Stopped.")).to_be_visible()
            await expect(turns.nth(3).locator(".g4f-error")).to_have_count(0)

            # Copy puts the answer on the clipboard
            await answer.locator("button.g4f-copy").click()
            await expect(answer.locator("button.g4f-copy")).to_have_text("Copied")
            copied = await page.evaluate("navigator.clipboard.readText()")
            shown_words = (await rendered.inner_text()).split()
            assert shown_words and shown_words[-1].strip("*_`.") in copied  # the answer's text, as Markdown

            # Send takes what is typed too (the box hands its text over when the button takes the focus)
            await prompt.fill("Say ok.")
            await chat.locator("button", has_text="Send").click()
            await expect(turns).to_have_count(8, timeout=30_000)
            await expect(turns.nth(6)).to_contain_text("Say ok.")
            await expect(turns.nth(7).locator(".g4f-info", has_text="usage:")).to_be_visible(timeout=120_000)
            await expect(prompt).to_have_value("")

            # the transcript scrolls inside a bounded box and the prompt stays in view
            scroller = chat.locator(".g4f-turn").first.locator("xpath=../..")
            height, scrolls = await scroller.evaluate("box => [box.clientHeight, box.scrollHeight > box.clientHeight]")
            assert height <= 420 and scrolls, (height, scrolls)
            await expect(prompt).to_be_in_viewport()
            news = page.locator(".jp-toast-button", has_text="No")
            if await news.count():
                await news.first.click()
                await expect(page.locator(".Toastify__toast")).to_have_count(0, timeout=10_000)
            await chat.locator("button", has_text="Send").scroll_into_view_if_needed()
            await page.screenshot(path=str(artifacts_dir / "widget-chat-jupyterlab.png"), full_page=False)
        finally:
            await browser.close()
