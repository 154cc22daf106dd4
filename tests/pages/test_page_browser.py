"""The chat page in a real headless Chromium against the real server and the embedded model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, async_playwright, expect

# Records every length the answer bubble's text goes through while it streams.
WATCH_ANSWER = """
() => {
  window.answerLengths = [];
  new MutationObserver(() => {
    const bubbles = document.querySelectorAll("article.message.assistant .content");
    const last = bubbles[bubbles.length - 1];
    if (last) window.answerLengths.push(last.textContent.length);
  }).observe(document.getElementById("messages"), {childList: true, subtree: true, characterData: true});
}
"""


@pytest_asyncio.fixture
async def browser_context(chromium_options: dict[str, Any]) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            yield await browser.new_context(viewport={"width": 1200, "height": 760})
        finally:
            await browser.close()


async def open_chat(context: BrowserContext, server_url: str, token: str, query: str = "") -> Any:
    """The chat page, logged in through ``?token=``, with provider Local picked."""
    page = await context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
    await page.goto(f"{server_url}g4f/?token={token}{query}")
    await expect(page.locator("#provider option[value='Local']")).to_have_count(1)
    await page.select_option("#provider", "Local")
    await expect(page.locator("#model")).to_have_value("SmolLM2-135M-Instruct")
    return page


@pytest.mark.asyncio
async def test_chat_page_streams_an_answer_shares_it_and_shows_the_qr_code(
    browser_context: BrowserContext, server_url: str, jp_serverapp: Any, artifacts_dir: Path
) -> None:
    page = await open_chat(browser_context, server_url, jp_serverapp.identity_provider.token)
    await page.evaluate(WATCH_ANSWER)
    await page.fill("#prompt", "Write three sentences about the sea.")
    await page.click("#send")
    answer = page.locator("article.message.assistant").last
    await expect(answer).to_have_class("message assistant", timeout=90_000)  # no longer streaming
    await expect(page.locator("#send")).to_be_enabled()
    assert not await answer.locator(".error").count(), await answer.inner_text()
    text = (await answer.locator(".content").inner_text()).strip()
    assert text, "the streamed answer is shown"
    lengths = [n for n in await page.evaluate("window.answerLengths") if n]
    assert len(set(lengths)) >= 2, f"the answer should grow while it streams: {lengths}"
    await expect(answer.locator(".role")).to_contain_text("SmolLM2-135M-Instruct")
    await expect(answer.locator(".usage")).to_contain_text("total")
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-page.png"))

    await page.click("#share")
    link = page.locator("#share-panel #share-link")
    await expect(link).to_be_visible()
    share_link = await link.get_attribute("href")
    assert share_link and share_link.startswith(f"{server_url}g4f/chat/")

    async with browser_context.expect_page() as popup:
        await page.click("#share-qr")
    qr_page = await popup.value
    await qr_page.wait_for_load_state()
    await expect(qr_page.locator("#qrcode svg")).to_be_visible()
    await expect(qr_page.locator("#share-link")).to_have_text(share_link)
    await qr_page.screenshot(path=str(artifacts_dir / "g4f-qrcode-page.png"))

    await qr_page.goto(share_link)
    await expect(qr_page.locator("article.message.user")).to_contain_text("three sentences about the sea")
    await expect(qr_page.locator("article.message.assistant .content")).to_contain_text(text[:20])
    await qr_page.screenshot(path=str(artifacts_dir / "g4f-shared-chat.png"), full_page=True)

    # a shared chat stays current: the next answer reaches the share without pressing Share again
    await page.fill("#prompt", "Name one fish.")
    await page.click("#send")
    await expect(page.locator("#send")).to_be_enabled(timeout=90_000)
    for _ in range(20):
        await qr_page.goto(share_link)
        if await qr_page.locator("article.message.user").count() == 2:
            break
        await qr_page.wait_for_timeout(250)
    await expect(qr_page.locator("article.message.user").last).to_contain_text("Name one fish.")

    await page.reload()
    await expect(page.locator("#messages article.message")).to_have_count(4)
    assert not page.page_errors, page.page_errors


@pytest.mark.asyncio
async def test_chat_page_uploads_a_file_reads_sse_and_stops_an_answer(
    browser_context: BrowserContext,
    server_url: str,
    jp_serverapp: Any,
    jp_base_url: str,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The lighthouse keeper's cat is called Marmalade.\n", "utf-8")
    # ?format=sse: the page asks for SSE framing, so its parser meets `event:`/`data:`/blank lines.
    page = await open_chat(browser_context, server_url, jp_serverapp.identity_provider.token, "&format=sse")

    await page.set_input_files("#files", str(notes))
    await expect(page.locator("#attachments .chip")).to_have_text("file: notes.txt")
    await page.fill("#prompt", "Tell me a very long story about the lighthouse keeper's cat.")
    async with page.expect_response(lambda r: "/backend-api/v2/conversation" in r.url) as chat:
        await page.click("#send")
    assert (await chat.value).url.endswith("conversation?format=sse")
    await expect(page.locator("article.message.user .chip")).to_have_text("file: notes.txt")
    await expect(page.locator("#attachments .chip")).to_have_count(0)

    answer = page.locator("article.message.assistant").last
    await expect(answer.locator(".content")).not_to_be_empty(timeout=60_000)
    assert not await answer.locator(".error").count(), await answer.inner_text()
    await page.click("#stop")
    await expect(answer.locator(".info")).to_have_text("Stopped.")  # information, not an error
    assert not await answer.locator(".error, .warning").count()
    await expect(page.locator("#send")).to_be_enabled()
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-upload.png"))

    current = "JSON.parse(localStorage.getItem('conversation:' + localStorage.getItem('g4f:current')))"
    stored = await page.evaluate(current)
    question, partial = stored["items"]
    part = question["content"][0]
    story = "Tell me a very long story about the lighthouse keeper's cat."
    assert question["content"][1] == {"type": "text", "text": story}
    assert part == {"bucket_id": part["bucket_id"], "url": f"{jp_base_url}backend-api/v2/files/{part['bucket_id']}"}
    assert partial["role"] == "assistant" and partial["content"], "the stopped answer keeps what arrived"

    # The server has the bucket and has read the upload (the text replays from its cache).
    bucket_url = f"{server_url}backend-api/v2/files/{part['bucket_id']}"
    bucket = await page.request.get(bucket_url)
    assert bucket.status == 200 and "Marmalade" in await bucket.text()

    # Deleting the conversation deletes its bucket (a DELETE that needs the XSRF header).
    await page.click("#conversations li.active button")
    await expect(page.locator("#messages article")).to_have_count(0)
    assert await _status_soon(page, bucket_url, 404) == 404
    assert not page.page_errors, page.page_errors


@pytest.mark.asyncio
async def test_stored_conversation_renders_escaped_with_code_blocks(
    browser_context: BrowserContext, server_url: str, jp_serverapp: Any
) -> None:
    page = await open_chat(browser_context, server_url, jp_serverapp.identity_provider.token)
    conversation = {
        "id": "c-xss", "title": "<b>bold title</b>", "added": 1, "updated": 2,
        "items": [
            {"role": "user", "content": "<img src=x onerror=\"window.hacked=1\">"},
            {"role": "assistant", "content": "Run:\n\n```sh\necho '<script>'\n```\nDone.",
             "reasoning": "thinking <img src=x onerror=\"window.hacked=2\">",
             "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
        ],
    }
    store = (
        "c => { localStorage.setItem('conversation:' + c.id, JSON.stringify(c));"
        " localStorage.setItem('g4f:current', c.id); }"
    )
    await page.evaluate(store, conversation)
    await page.reload()
    user = page.locator("article.message.user .content")
    await expect(user).to_have_text('<img src=x onerror="window.hacked=1">')
    assert await page.locator("#messages [onerror], .message.user img").count() == 0
    assert await page.evaluate("window.hacked") is None
    answer = page.locator("article.message.assistant")
    await expect(answer.locator("pre code.language-sh")).to_have_text("echo '<script>'")
    await expect(answer.locator(".content p")).to_have_text(["Run:", "Done."])
    await expect(answer.locator("details.reasoning")).to_have_js_property("open", False)
    await expect(answer.locator("details.reasoning div")).to_have_text("thinking")
    assert await answer.locator("[onerror]").count() == 0
    await expect(answer.locator(".usage")).to_have_text("prompt 1 · completion 2 · total 3")
    await expect(page.locator("#conversations li.active a")).to_have_text("<b>bold title</b>")
    assert not page.page_errors, page.page_errors


async def _status_soon(page: Any, url: str, wanted: int) -> int:
    """The status of ``url`` once it is ``wanted`` (the page sends its request in the background)."""
    for _ in range(50):
        status = (await page.request.get(url)).status
        if status == wanted:
            break
        await asyncio.sleep(0.1)
    return status
