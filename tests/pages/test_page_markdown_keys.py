"""The chat page in a real Chromium against a provider that echoes the prompt (a loopback
OpenAI-compatible server): markdown, code, math and tables render through the vendored
libraries, scripts in an answer never run, the layout holds at phone width, and an API key
entered in the page reaches the provider from the server and from a real kernel.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from echo_peer import EchoOpenAI, add_echo_provider
from jupyter_client.manager import start_new_kernel
from playwright.async_api import Browser, Page, async_playwright, expect

MARKDOWN = """\
| animal | legs |
|---|---|
| cat | 4 |

- first item
- second item

Call `print(x)` inline.

```python
def area(r):
    return 3.14 * r ** 2
```

Energy: $E = mc^2$, and a display:

$$\\int_0^1 x\\,dx = \\frac{1}{2}$$

<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2">
"""


@pytest_asyncio.fixture
async def browser(chromium_options: dict[str, Any]) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**chromium_options)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def echo(loopback: Callable[[type], str], user_providers_dir: Path) -> str:
    """Providers ``Echo`` (no key) and ``EchoKeyed`` (needs one) on one loopback echo server."""
    EchoOpenAI.authorizations.clear()
    base = loopback(EchoOpenAI) + "/v1"
    add_echo_provider(user_providers_dir, "Echo", base)
    add_echo_provider(user_providers_dir, "EchoKeyed", base, needs_key=True)
    return base


async def open_chat(
    browser: Browser, server_url: str, token: str, provider: str, width: int = 1280
) -> tuple[Page, list[str]]:
    """The chat page with ``provider`` picked, and the list its uncaught script errors go to."""
    context = await browser.new_context(viewport={"width": width, "height": 800})
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server_url}g4f/?token={token}")
    await expect(page.locator(f"#provider option[value='{provider}']")).to_have_count(1)
    await page.select_option("#provider", provider)
    await expect(page.locator("#model")).to_have_value("echo")
    return page, errors


async def ask(page: Page, text: str) -> Any:
    await page.fill("#prompt", text)
    await page.click("#send")
    answer = page.locator("article.message.assistant").last
    await expect(answer).to_have_class("message assistant", timeout=30_000)  # no longer streaming
    return answer


@pytest.mark.asyncio
async def test_markdown_renders_tables_lists_code_math_and_never_runs_scripts(
    browser: Browser, echo: str, server_url: str, jp_serverapp: Any, artifacts_dir: Path
) -> None:
    page, errors = await open_chat(browser, server_url, jp_serverapp.identity_provider.token, "Echo")
    answer = await ask(page, MARKDOWN)
    content = answer.locator(".content")
    assert not await answer.locator(".error").count(), await answer.inner_text()
    await expect(content.locator("table th")).to_have_text(["animal", "legs"])
    await expect(content.locator("table td")).to_have_text(["cat", "4"])
    await expect(content.locator("ul > li")).to_have_text(["first item", "second item"])
    await expect(content.locator("p > code")).to_have_text("print(x)")
    code = content.locator("pre code.hljs.language-python")
    await expect(code).to_contain_text("return 3.14 * r ** 2")
    await expect(code.locator(".hljs-keyword").first).to_have_text("def")  # highlighted
    await expect(content.locator(".katex")).to_have_count(2)
    await expect(content.locator(".math-display .katex-display math")).to_have_count(1)
    await expect(content.locator("p .katex .katex-html")).to_have_text("E=mc2")
    assert await content.locator("script, [onerror]").count() == 0
    assert await page.evaluate("window.pwned") is None, "markup in an answer never runs"
    # the user's own message shows exactly what was typed
    await expect(page.locator("article.message.user .content")).to_have_text(MARKDOWN.rstrip("\n"))

    await content.locator("pre button.copy").click()
    await expect(content.locator("pre button.copy")).to_have_text("Copied")
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied == "def area(r):\n    return 3.14 * r ** 2"
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-markdown-1280.png"))

    # The shared-chat view draws the same markdown with the same renderer (render.js).
    await page.click("#share")
    shared = await page.context.new_page()
    await shared.goto(await page.locator("#share-link").get_attribute("href") or "")
    view = shared.locator("article.message.assistant .content")
    await expect(view.locator("table td")).to_have_text(["cat", "4"])
    await expect(view.locator("pre code.hljs.language-python .hljs-keyword").first).to_have_text("def")
    await expect(view.locator(".katex")).to_have_count(2)
    assert await shared.evaluate("window.pwned") is None
    await expect(shared.locator("article.message.user .content")).to_have_text(MARKDOWN.rstrip("\n"))
    await shared.screenshot(path=str(artifacts_dir / "g4f-shared-markdown.png"), full_page=True)
    await shared.close()

    # Regenerate asks again and replaces the answer; Edit resends a changed question.
    await answer.locator(".actions button", has_text="Regenerate").click()
    await expect(page.locator("#send")).to_be_enabled(timeout=30_000)
    await expect(page.locator("article.message")).to_have_count(2)
    await page.locator("article.message.user .actions button", has_text="Edit").click()
    await expect(page.locator("#prompt")).to_have_value(MARKDOWN.rstrip("\n"))
    again = await ask(page, "**edited** question")
    await expect(again.locator(".content strong")).to_have_text("edited")
    await expect(page.locator("article.message")).to_have_count(2)
    assert len(EchoOpenAI.authorizations) == 3
    assert not errors, errors


@pytest.mark.asyncio
async def test_phone_width_nothing_overflows_and_send_stays_visible(
    browser: Browser, echo: str, server_url: str, jp_serverapp: Any, artifacts_dir: Path
) -> None:
    page, errors = await open_chat(browser, server_url, jp_serverapp.identity_provider.token, "Echo", width=375)
    await ask(page, MARKDOWN + "\n```\n" + "a_very_long_line_of_code " * 20 + "\n```\n")
    await page.click("#share")
    await expect(page.locator("#share-notice")).to_be_visible()  # the link is 127.0.0.1: say so
    await expect(page.locator("#share-notice")).to_contain_text("c.G4FSettings.share_url")
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    for selector in ("#prompt", "#send", "#stop", "#menu"):
        box = await page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 800, selector
    sidebar = await page.locator("#sidebar").bounding_box()
    assert sidebar and sidebar["x"] + sidebar["width"] <= 0, "the sidebar is collapsed"
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-markdown-375.png"))
    await page.click("#menu")
    await expect(page.locator("#new-chat")).to_be_in_viewport()
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-sidebar-375.png"))

    await page.mouse.click(360, 400)  # a tap beside the sidebar closes it
    await expect(page.locator("#new-chat")).not_to_be_in_viewport()
    share_id = await page.evaluate("localStorage.getItem('share:' + localStorage.getItem('g4f:current'))")
    assert (await page.request.get(f"{server_url}backend-api/v2/chat/{share_id}")).status == 200
    await page.click("#unshare")  # stop sharing: the share is gone from the server
    await expect(page.locator("#share-panel")).to_be_hidden()
    assert (await page.request.get(f"{server_url}backend-api/v2/chat/{share_id}")).status == 404
    assert await page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('share:')).length") == 0
    assert not errors, errors


@pytest.mark.asyncio
async def test_a_key_entered_in_the_page_is_stored_0600_and_used_by_server_and_kernel(
    browser: Browser, echo: str, server_url: str, jp_serverapp: Any, g4f_data_dir: Path, artifacts_dir: Path
) -> None:
    page, errors = await open_chat(browser, server_url, jp_serverapp.identity_provider.token, "EchoKeyed")
    await page.click("#keys")
    row = page.locator("#keys-list form[data-provider='EchoKeyed']")
    await expect(row.locator(".key-state")).to_have_text("needed")
    await row.locator("input").fill("sk-from-the-page")
    await row.locator("button[type=submit]").click()
    await expect(page.locator("#keys-list form[data-provider='EchoKeyed'] .key-state")).to_have_text("stored")
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-keys.png"))
    path = g4f_data_dir / "cookies" / "api_key_EchoKeyed.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "sk-from-the-page" not in await page.locator("#keys-panel").inner_html(), "never shown back"

    answer = await ask(page, "hello with a key")
    await expect(answer.locator(".content")).to_have_text("hello with a key")
    assert EchoOpenAI.authorizations[-1] == "Bearer sk-from-the-page"

    reply = await asyncio.to_thread(_ask_in_a_kernel, "hello from a kernel", "EchoKeyed")
    assert reply == "hello from a kernel"
    assert EchoOpenAI.authorizations[-1] == "Bearer sk-from-the-page"

    await page.locator("#keys-list form[data-provider='EchoKeyed'] button", has_text="Remove").click()
    await expect(page.locator("#keys-list form[data-provider='EchoKeyed'] .key-state")).to_have_text("needed")
    assert not path.exists()
    failed = await ask(page, "and now without")
    await expect(failed.locator(".error")).to_contain_text("needs an API key")
    assert not errors, errors


def _ask_in_a_kernel(prompt: str, provider: str) -> str:
    """``ask()`` in a real python3 kernel on this test's data directory; returns what it printed."""
    km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ))
    printed: list[str] = []

    def collect(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            printed.append("\n".join(msg["content"]["traceback"]))

    try:
        code = f"from g4f_jupyter import ask\nprint(ask({prompt!r}, provider={provider!r}), end='')"
        kc.execute_interactive(code, timeout=90, output_hook=collect)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(printed)


# Records every text the attachment chips go through while files upload.
WATCH_CHIPS = """
() => {
  window.chipTexts = [];
  new MutationObserver(() => {
    for (const chip of document.querySelectorAll("#attachments .chip")) window.chipTexts.push(chip.textContent);
  }).observe(document.getElementById("attachments"), {childList: true, subtree: true, characterData: true});
}
"""


def tiny_png() -> bytes:
    """A real 2x2 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.mark.asyncio
async def test_images_show_thumbnails_warn_without_vision_and_uploads_report_percent_and_mb(
    browser: Browser, echo: str, server_url: str, jp_serverapp: Any, artifacts_dir: Path, tmp_path: Path
) -> None:
    picture = tmp_path / "red.png"
    picture.write_bytes(tiny_png())
    notes = tmp_path / "notes.txt"
    notes.write_text("Marmalade the cat.\n" * 2000, "utf-8")
    page, errors = await open_chat(browser, server_url, jp_serverapp.identity_provider.token, "Echo")
    await page.evaluate(WATCH_CHIPS)

    await page.set_input_files("#files", [str(picture), str(notes)])
    chip = page.locator("#attachments .chip.image")
    await expect(chip).to_contain_text("red.png")
    loaded_width = "img => img.decode().then(() => img.naturalWidth)"
    assert await chip.locator("img").evaluate(loaded_width) == 2  # a real thumbnail
    await expect(page.locator("#attachments .chip.warning")).to_contain_text("cannot see images")
    texts = await page.evaluate("window.chipTexts")
    assert any(re.fullmatch(r"Reading… \d{1,2}% \(\d+\.\d MB\)", t) for t in texts), texts
    assert not any("bytes" in t for t in texts), texts

    answer = await ask(page, "What is in the picture?")
    await expect(answer.locator(".warning")).to_contain_text("cannot see images")
    thumb = page.locator("article.message.user .media img")
    await expect(thumb).to_have_count(1)
    await expect(thumb).to_have_attribute("alt", "red.png")
    assert await thumb.evaluate(loaded_width) == 2  # served by this server
    await page.screenshot(path=str(artifacts_dir / "g4f-chat-image.png"))
    assert not errors, errors
