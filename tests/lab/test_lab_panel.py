"""The g4f chat in real JupyterLab, in Debian's Chromium: launcher tile, sidebar panel,
an answer streamed from the embedded model, and a code block inserted into the notebook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import FilePayload, Locator, Page, async_playwright, expect

PANEL = ".g4f-lab-panel"

# Records, for the next answer, each text length it shows and whether "thinking…" came first.
WATCH_ANSWER = """() => {
  window.g4fSeen = { lengths: [], thinking: false };
  new MutationObserver(() => {
    const answers = document.querySelectorAll('.g4f-lab-assistant');
    const last = answers[answers.length - 1];
    if (!last) return;
    if (last.querySelector('.g4f-lab-thinking')) window.g4fSeen.thinking = true;
    const length = last.querySelector('.g4f-lab-body').textContent.length;
    const seen = window.g4fSeen.lengths;
    if (length && seen[seen.length - 1] !== length) seen.push(length);
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


async def _open_lab(page: Page, url: str, token: str, path: str = "lab") -> None:
    await page.goto(f"{url}/{path}?token={token}", timeout=90_000)
    await expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=90_000)


async def _open_panel(page: Page) -> Locator:
    await page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab[title='g4f chat']").click()
    panel = page.locator(PANEL)
    await expect(panel).to_be_visible()
    return panel


async def _ask(page: Page, question: str) -> Locator:
    """Ask in the panel; the new answer turn, once its usage line shows it is complete."""
    panel = page.locator(PANEL)
    await page.evaluate(WATCH_ANSWER)
    prompt = panel.locator("textarea.g4f-lab-prompt")
    await prompt.fill(question)
    await prompt.press("Enter")  # Enter sends
    await expect(prompt).to_have_value("")
    answer = panel.locator(".g4f-lab-assistant").last
    done, failed = answer.locator(".g4f-lab-meta", has_text="usage:"), answer.locator(".g4f-lab-error")
    await expect(done.or_(failed)).to_be_visible(timeout=180_000)
    await expect(failed).to_have_count(0)
    return answer


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
            await expect(page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab[title='g4f chat']")).to_be_visible()
            await expect(page.locator(PANEL)).to_be_hidden()

            await tile.click()
            panel = page.locator(PANEL)
            await expect(panel).to_be_visible()
            await expect(panel.locator("textarea.g4f-lab-prompt")).to_be_focused()

            # the catalog comes from /backend-api/v2/providers and /models/<provider>
            provider = panel.locator("select.g4f-lab-provider")
            await expect(provider.locator("option", has_text="Local (embedded SmolLM2)")).to_have_count(1)
            await provider.select_option("Local")
            model = panel.locator("select.g4f-lab-model option", has_text="SmolLM2-135M-Instruct")
            await expect(model).to_have_count(1)
            await page.screenshot(path=str(artifacts_dir / "lab-launcher-and-panel.png"))

            # the full web chat of the same server is one click away
            assert await panel.locator("a.g4f-lab-page").get_attribute("href") == f"{url}/g4f/"

            # a provider without its key: the answer is one line that names the variable to set
            await provider.select_option("OpenAI")
            prompt = panel.locator("textarea.g4f-lab-prompt")
            await prompt.fill("Hello")
            await prompt.press("Enter")
            failure = panel.locator(".g4f-lab-assistant .g4f-lab-error")
            await expect(failure).to_contain_text("OPENAI_API_KEY", timeout=30_000)
            await expect(panel.locator("button.g4f-lab-send")).to_have_text("Send")

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
async def test_an_answer_streams_into_the_panel_and_its_code_goes_into_the_notebook(
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
            await _open_panel(page)

            answer = await _ask(page, "Write a Python function that reverses a string.")
            seen = await page.evaluate("window.g4fSeen")
            assert seen["thinking"], "thinking… shows before the first token"
            assert len(seen["lengths"]) >= 3, f"the answer arrived in pieces, not at once: {seen['lengths']}"
            await expect(answer.locator(".g4f-lab-thinking")).to_have_count(0)
            await expect(answer.locator(".g4f-lab-meta")).to_contain_text("SmolLM2-135M-Instruct")

            code = answer.locator("pre code").first
            await expect(code).to_contain_text("def ")
            source = (await code.inner_text()).rstrip("\n")
            await answer.locator("button.g4f-lab-copy").first.click()
            assert (await page.evaluate("navigator.clipboard.readText()")).rstrip("\n") == source

            await answer.locator("button.g4f-lab-insert").first.click()
            await expect(cells).to_have_count(2)
            await expect(cells.nth(0).locator(".cm-content")).to_have_text("x = 1")  # kept, and above
            inserted = cells.nth(1)
            await expect(inserted).to_have_class(re.compile(r"\bjp-CodeCell\b"))
            assert (await inserted.locator(".cm-content").inner_text()).strip() == source.strip()
            await page.screenshot(path=str(artifacts_dir / "lab-panel-answer-inserted.png"))
        finally:
            await browser.close()


@pytest.mark.asyncio
async def test_attached_file_goes_along_stop_keeps_the_partial_answer_and_share_opens_the_chat(
    lab: tuple[str, str], artifacts_dir: Path, chromium_options: dict[str, Any]
) -> None:
    url, token = lab
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await _open_lab(page, url, token)
            panel = await _open_panel(page)

            # attach: uploaded into a bucket, read with progress, sent as a bucket part of the next question
            facts: FilePayload = {
                "name": "facts.txt", "mimeType": "text/plain",
                "buffer": b"The lighthouse keeper's cat is called Marmalade.\n",
            }
            await panel.locator("input.g4f-lab-file").set_input_files(files=[facts])
            chip = panel.locator(".g4f-lab-chip")
            await expect(chip).to_have_text(re.compile(r"Attached: facts\.txt \(0\.\d kB of text\)"), timeout=30_000)
            async with page.expect_request(lambda r: "/backend-api/v2/conversation?" in r.url + "?") as sent:
                await _ask(page, "What is the cat called?")
            body = (await sent.value).post_data_json
            assert body is not None
            [bucket, question] = body["messages"][0]["content"]
            assert bucket["url"] == f"/backend-api/v2/files/{bucket['bucket_id']}"
            assert question == {"type": "text", "text": "What is the cat called?"}
            await expect(panel.locator(".g4f-lab-user").first).to_contain_text("facts.txt")
            await expect(chip).to_have_count(0)  # attached once, not to every question

            # Stop aborts the stream; the partial answer stays, marked as stopped (not as an error)
            prompt = panel.locator("textarea.g4f-lab-prompt")
            await prompt.fill("Tell a very long story about a dragon who learns to sail.")
            await prompt.press("Enter")
            story = panel.locator(".g4f-lab-assistant").nth(1)
            await expect(story.locator(".g4f-lab-body")).not_to_be_empty(timeout=60_000)
            await panel.locator("button.g4f-lab-send", has_text="Stop").click()
            await expect(story.locator(".g4f-lab-info", has_text="Stopped.")).to_be_visible()
            await expect(story.locator(".g4f-lab-error")).to_have_count(0)
            await expect(panel.locator("button.g4f-lab-send")).to_have_text("Send")
            partial = (await story.locator(".g4f-lab-body").inner_text()).strip()
            assert partial

            # share: a link to the read-only chat page and its QR page on this server
            await panel.locator("button.g4f-lab-share").click()
            link = panel.locator("a.g4f-lab-share-link")
            await expect(link).to_be_visible()
            href = await link.get_attribute("href")
            assert href and href.startswith(f"{url}/g4f/chat/"), href
            qr = await panel.locator("a.g4f-lab-share-qr").get_attribute("href")
            assert qr == href.replace("/g4f/chat/", "/g4f/qrcode/")
            await page.screenshot(path=str(artifacts_dir / "lab-panel-attach-stop-share.png"))
            await page.goto(href)  # in this browser's session: the page is behind the server's login
            await expect(page.locator("#messages")).to_contain_text("What is the cat called?")
            await expect(page.locator("#messages")).to_contain_text(partial.split()[0])
            await page.goto(qr)
            await expect(page.locator("svg").first).to_be_visible()
        finally:
            await browser.close()
