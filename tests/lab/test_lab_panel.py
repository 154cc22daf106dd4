"""What only JupyterLab has around the chat view (real JupyterLab, Debian's Chromium): the launcher
tile, the command palette, the View menu and the sidebar tab open the panel; an answer streams in
from the embedded model; Insert into notebook puts a code block below the active cell."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from chat_host import PANEL_TAB, Chat
from playwright.async_api import Page, async_playwright, expect

# Records, for the next answer, each text length it shows.
WATCH_ANSWER = """() => {
  window.g4fSeen = [];
  new MutationObserver(() => {
    const answers = document.querySelectorAll('.g4f-lab-panel article.g4fc-assistant');
    const last = answers[answers.length - 1];
    const length = last ? last.querySelector('.g4fc-content').textContent.length : 0;
    if (length && window.g4fSeen[window.g4fSeen.length - 1] !== length) window.g4fSeen.push(length);
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


async def _open_lab(page: Page, url: str, token: str, path: str = "lab") -> None:
    await page.goto(f"{url}/{path}?token={token}", timeout=90_000)
    await expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=90_000)


@pytest.mark.asyncio
async def test_launcher_tile_palette_menu_and_sidebar_open_the_panel_with_the_catalog(
    lab: tuple[str, str], artifacts_dir: Path, chromium_options: dict[str, Any]
) -> None:
    url, token = lab
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await _open_lab(page, url, token)
            tile = page.locator(".jp-LauncherCard", has_text="g4f chat")
            await expect(tile).to_be_visible(timeout=60_000)
            await expect(page.locator(PANEL_TAB)).to_be_visible()
            panel = page.locator("#g4f-jupyter-chat.g4f-lab-panel")
            await expect(panel).to_be_hidden()

            await tile.click()
            await expect(panel).to_be_visible()
            await expect(panel.locator("textarea.g4fc-prompt")).to_be_focused()

            # the catalog comes from /backend-api/v2/providers and /models/<provider>
            provider = panel.locator("select.g4fc-provider")
            await expect(provider.locator("option", has_text="Local (embedded SmolLM2)")).to_have_count(1)
            await provider.select_option("Local")
            await expect(panel.locator("select.g4fc-model")).to_have_value("SmolLM2-135M-Instruct")
            await page.screenshot(path=str(artifacts_dir / "lab-launcher-and-panel.png"))

            # a provider without its key: the answer says which variable to set
            await provider.select_option("OpenAI")
            chat = Chat("lab", page, url, token)
            failed = await chat.ask("Hello")
            await expect(failed.locator(".g4fc-error")).to_contain_text("OPENAI_API_KEY")

            # the command palette and the View menu name the same command
            await page.keyboard.press("Control+Shift+c")
            palette = page.locator(".lm-CommandPalette")
            await palette.locator("input").fill("g4f chat")
            await expect(palette.locator(".lm-CommandPalette-item", has_text="g4f chat")).to_be_visible()
            await page.keyboard.press("Escape")
            await page.locator(".lm-MenuBar-itemLabel", has_text="View").first.click()
            await expect(page.locator(".lm-Menu-itemLabel", has_text="g4f chat")).to_be_visible()
        finally:
            await browser.close()


@pytest.mark.asyncio
async def test_an_answer_streams_from_the_embedded_model_and_its_code_goes_into_the_notebook(
    lab: tuple[str, str], artifacts_dir: Path, chromium_options: dict[str, Any]
) -> None:
    url, token = lab
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900})
            await context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = await context.new_page()
            await _open_lab(page, url, token, "lab/tree/notes.ipynb")
            cells = page.locator(".jp-Notebook .jp-Cell")
            await expect(cells).to_have_count(1, timeout=60_000)
            await cells.first.click()  # the active cell: code goes in below it
            await page.locator(PANEL_TAB).click()
            chat = Chat("lab", page, url, token)
            await chat.pick("Local", "SmolLM2-135M-Instruct")

            await page.evaluate(WATCH_ANSWER)
            answer = await chat.ask("Write a Python function that reverses a string.", timeout=180_000)
            seen = await page.evaluate("window.g4fSeen")
            assert len(seen) >= 3, f"the answer arrived in pieces, not at once: {seen}"
            await expect(answer.locator(".g4fc-role")).to_have_text(re.compile("SmolLM2-135M-Instruct"))
            await expect(answer.locator(".g4fc-usage")).to_contain_text("total")
            assert not await answer.locator(".g4fc-error").count(), await answer.inner_text()

            code = answer.locator("pre code").first
            await expect(code).to_contain_text("def ")
            source = (await code.inner_text()).rstrip("\n")
            await answer.locator(".g4fc-insert").first.click()
            await expect(cells).to_have_count(2)
            await expect(cells.nth(0).locator(".cm-content")).to_have_text("x = 1")  # kept, and above
            inserted = cells.nth(1)
            await expect(inserted).to_have_class(re.compile(r"\bjp-CodeCell\b"))
            assert (await inserted.locator(".cm-content").inner_text()).strip() == source.strip()
            await page.screenshot(path=str(artifacts_dir / "lab-panel-answer-inserted.png"))
        finally:
            await browser.close()
