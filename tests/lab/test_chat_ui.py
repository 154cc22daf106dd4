"""The one chat view, on the web page and in the Lab panel alike (real JupyterLab, real server,
Debian's Chromium): Markdown, code, math, no script from an answer, Stop, Regenerate,
Edit-and-resend, attachments with progress, share with QR, Keys, reasoning, and nothing wider
than a 250 px panel or a 375 px phone. The answers come from a loopback OpenAI-compatible
server that echoes the question (tests/pages/echo_peer.py), so every answer is known.
"""

from __future__ import annotations

import re
import stat
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from chat_host import HOSTS, Chat, open_chat, overflow
from pages.echo_peer import REASONING, EchoOpenAI
from playwright.async_api import Browser, expect

from tests.lab.conftest import BASE_URL

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

<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2"> <a href="javascript:window.pwned = 3">link</a>
"""

CODE = "def area(r):\n    return 3.14 * r ** 2"


@pytest.fixture
def server(echo: str, lab: tuple[str, str]) -> tuple[str, str]:
    """JupyterLab under a base URL that needs escaping, with the echo providers; (url, token)."""
    return lab


async def chat_in(browser: Browser, host: str, server: tuple[str, str], **kwargs: Any) -> Chat:
    chat = await open_chat(browser, host, *server, **kwargs)
    await chat.pick("Echo")
    return chat


@pytest.mark.asyncio
@pytest.mark.parametrize("host", HOSTS)
async def test_markdown_renders_code_is_highlighted_and_copied_math_typeset_and_no_script_runs(
    host: str, browser: Browser, server: tuple[str, str], artifacts_dir: Path
) -> None:
    chat = await chat_in(browser, host, server)
    answer = await chat.ask(MARKDOWN)
    content = answer.locator(".g4fc-content")
    assert not await answer.locator(".g4fc-error").count(), await answer.inner_text()
    await expect(content.locator("table th")).to_have_text(["animal", "legs"])
    await expect(content.locator("table td")).to_have_text(["cat", "4"])
    await expect(content.locator("ul > li")).to_have_text(["first item", "second item"])
    await expect(content.locator("p > code")).to_have_text("print(x)")
    code = content.locator("pre code.hljs.language-python")
    await expect(code).to_have_text(CODE)
    await expect(code.locator(".hljs-keyword").first).to_have_text("def")  # highlighted
    await expect(content.locator(".katex")).to_have_count(2)
    await expect(content.locator(".g4fc-math-display .katex-display math")).to_have_count(1)
    await expect(content.locator("p .katex .katex-html").first).to_have_text("E=mc2")
    await expect(content.locator("a", has_text="link")).to_be_visible()
    assert await content.locator("script, [onerror], a[href^='javascript:']").count() == 0
    await content.locator("a", has_text="link").click()
    assert await chat.page.evaluate("window.pwned") is None, "markup in an answer never runs"
    # your own message shows exactly what was typed
    await expect(chat.view.locator("article.g4fc-user .g4fc-content")).to_have_text(MARKDOWN.rstrip("\n"))

    await answer.locator(".g4fc-copy").click()
    await expect(answer.locator(".g4fc-copy")).to_have_text("Copied")
    assert await chat.page.evaluate("navigator.clipboard.readText()") == CODE
    # Insert into notebook is a Lab plug-in: only the panel has it
    await expect(answer.locator(".g4fc-insert")).to_have_count(1 if host == "lab" else 0)
    await chat.shot(artifacts_dir, "markdown")

    # a stored chat with markup in every field draws it as text, and nothing in it runs either
    hostile = {
        "id": "c-hostile", "title": "<b>bold title</b>", "added": 1, "updated": 2,
        "items": [
            {"role": "user", "content": '<img src=x onerror="window.pwned=4">'},
            {"role": "assistant", "content": "Run:\n\n```sh\necho '<script>'\n```\nDone.",
             "reasoning": 'thinking <img src=x onerror="window.pwned=5">',
             "provider": {"name": "Echo", "label": "Echo", "model": "echo"},
             "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
        ],
    }
    saved = await chat.put("conversations/c-hostile", hostile)
    assert saved.ok, await saved.text()
    listed = await chat.saved_chats()
    await listed.locator("li[data-id='c-hostile'] .g4fc-chat-title").click()
    user = chat.view.locator("article.g4fc-user .g4fc-content")
    await expect(user).to_have_text('<img src=x onerror="window.pwned=4">')
    stored = chat.view.locator("article.g4fc-assistant")
    await expect(stored.locator("pre code.language-sh")).to_have_text("echo '<script>'")
    await expect(stored.locator(".g4fc-role")).to_have_text("Echo · echo")
    await expect(stored.locator(".g4fc-usage")).to_have_text("prompt 1 · completion 2 · total 3")
    assert await chat.view.locator("[onerror], article.g4fc-user img").count() == 0
    assert await chat.page.evaluate("window.pwned") is None
    assert not chat.errors, chat.errors


@pytest.mark.asyncio
@pytest.mark.parametrize("host", HOSTS)
async def test_regenerate_replaces_the_answer_edit_resends_and_stop_keeps_the_partial_answer(
    host: str, browser: Browser, server: tuple[str, str], artifacts_dir: Path
) -> None:
    chat = await chat_in(browser, host, server)
    answer = await chat.ask("Name a colour.")
    await expect(answer.locator(".g4fc-content")).to_have_text("Name a colour.")

    await answer.locator(".g4fc-regenerate").click()
    await chat.done()
    await expect(chat.view.locator("article.g4fc-message")).to_have_count(2)  # replaced, not added
    assert len(EchoOpenAI.authorizations) == 2

    await chat.view.locator("article.g4fc-user .g4fc-edit").click()
    prompt = chat.view.locator(".g4fc-prompt")
    await expect(prompt).to_have_value("Name a colour.")
    await expect(chat.view.locator(".g4fc-editing")).to_be_visible()
    await chat.send("slow: Tell me a very long story about a lighthouse.")
    story = chat.view.locator("article.g4fc-assistant").last
    await expect(story.locator(".g4fc-content")).to_contain_text("lighthouse", timeout=15_000)
    await chat.view.locator(".g4fc-stop").click()
    await expect(story.locator(".g4fc-info")).to_have_text("Stopped.")  # information, not an error
    assert not await story.locator(".g4fc-error, .g4fc-warning").count()
    await expect(chat.view.locator(".g4fc-send")).to_be_visible()
    partial = (await story.locator(".g4fc-content").inner_text()).strip()
    assert partial.startswith("Tell me")
    await expect(chat.view.locator("article.g4fc-message")).to_have_count(2)  # the edited question replaced the old
    await expect(chat.view.locator("article.g4fc-user .g4fc-content")).to_have_text(
        "slow: Tell me a very long story about a lighthouse.")
    await chat.shot(artifacts_dir, "stopped")

    # the store has the edited question and the partial answer
    listed = (await (await chat.page.request.get(chat.api("conversations"))).json())["conversations"]
    stored = await (await chat.page.request.get(chat.api(f"conversations/{listed[0]['id']}"))).json()
    question, kept = stored["items"]
    assert question["content"] == "slow: Tell me a very long story about a lighthouse."
    assert kept["role"] == "assistant" and kept["content"].strip().startswith(partial[:40])
    assert not chat.errors, chat.errors


def tiny_png() -> bytes:
    """A real 2x2 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# Records every text the attachment chips go through while files upload.
WATCH_CHIPS = """() => {
  window.chipTexts = [];
  const box = document.querySelector('.g4fc-attachments');
  new MutationObserver(() => {
    for (const chip of box.querySelectorAll('.g4fc-chip')) window.chipTexts.push(chip.textContent);
  }).observe(box, {childList: true, subtree: true, characterData: true});
}"""
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


@pytest.mark.asyncio
@pytest.mark.parametrize("host", HOSTS)
async def test_attached_files_show_progress_are_prepared_and_go_along_with_the_question(
    host: str, browser: Browser, server: tuple[str, str], artifacts_dir: Path, tmp_path: Path
) -> None:
    picture = tmp_path / "red.png"
    picture.write_bytes(tiny_png())
    notes = tmp_path / "notes.txt"
    notes.write_text("Marmalade the cat sleeps on the lighthouse stairs.\n" * 4_000, "utf-8")  # 0.2 MB
    chat = await chat_in(browser, host, server)
    await chat.page.evaluate(WATCH_CHIPS)

    def is_prepare(request: Any) -> bool:
        return "/backend-api/v2/conversation" in request.url and (request.post_data or "").find('"prepare"') > 0

    async with chat.page.expect_request(is_prepare, timeout=60_000) as prepared:
        await chat.view.locator(".g4fc-files").set_input_files([str(notes), str(picture)])
    body = (await prepared.value).post_data_json
    assert body["action"] == "prepare"
    *_, last = body["messages"]
    assert last["role"] == "user" and [p.get("name") for p in last["content"]] == [None, "red.png"]
    assert not any(p.get("type") == "text" for p in last["content"]), "no question text yet"

    chips = chat.view.locator(".g4fc-attachments .g4fc-chip")
    await expect(chips.filter(has_text="file: notes.txt")).to_have_count(1)
    image = chips.filter(has_text="red.png")
    assert await image.locator("img").evaluate(LOADED_WIDTH) == 2  # a real thumbnail
    texts = await chat.page.evaluate("window.chipTexts")
    assert any(re.fullmatch(r"Uploading… \d{1,2}% \(\d+\.\d MB\)", t) for t in texts), texts
    assert any(re.fullmatch(r"Reading… \d{1,2}% \(\d+\.\d MB\)", t) for t in texts), texts

    async with chat.page.expect_request(lambda r: r.url.endswith("/backend-api/v2/conversation")) as sent:
        answer = await chat.ask("What is in the files?")
    parts = (await sent.value).post_data_json["messages"][-1]["content"]
    bucket = parts[0]["bucket_id"]
    assert parts[0] == {"bucket_id": bucket, "url": f"{BASE_URL}backend-api/v2/files/{bucket}"}
    assert parts[1] == {"bucket_id": bucket, "name": "red.png", "url": f"{BASE_URL}files/{bucket}/media/red.png"}
    assert parts[2] == {"type": "text", "text": "What is in the files?"}
    echoed = answer.locator(".g4fc-content")  # the echo: the file's text the server put in, then the question
    await expect(echoed).to_contain_text("Marmalade the cat sleeps on the lighthouse stairs.")
    await expect(echoed).to_have_text(re.compile(r"What is in the files\?\s*$"))
    question = chat.view.locator("article.g4fc-user")
    await expect(question.locator(".g4fc-chip")).to_have_text("file: notes.txt")
    thumb = question.locator(".g4fc-media img")
    await expect(thumb).to_have_attribute("alt", "red.png")
    assert await thumb.evaluate(LOADED_WIDTH) == 2  # served by this server
    await expect(chips).to_have_count(0)  # attached once, not to every question

    # an image link in an answer (as generated media come) shows the picture, linking to it
    media = parts[1]["url"]
    linked = (await chat.ask(f"[![a red square]({media})]({media})")).locator(".g4fc-content a img")
    assert await linked.evaluate(LOADED_WIDTH) == 2
    await expect(linked).to_have_attribute("alt", "a red square")
    await expect(linked.locator("xpath=..")).to_have_attribute("target", "_blank")
    await chat.shot(artifacts_dir, "attach")
    assert not chat.errors, chat.errors


@pytest.mark.asyncio
@pytest.mark.parametrize("host", HOSTS)
async def test_share_shows_a_link_and_qr_code_follows_each_answer_and_stops(
    host: str, browser: Browser, server: tuple[str, str], artifacts_dir: Path
) -> None:
    url, _ = server
    chat = await chat_in(browser, host, server)
    await chat.ask("**Shared** answer with `code` and $x^2$")
    await chat.view.locator(".g4fc-share").click()
    link = chat.view.locator(".g4fc-share-link")
    await expect(link).to_be_visible()
    href = await link.get_attribute("href")
    assert href and href.startswith(f"{url}/g4f/chat/"), href
    await expect(chat.view.locator(".g4fc-share-notice")).to_contain_text("c.G4FSettings.share_url")  # 127.0.0.1
    await chat.shot(artifacts_dir, "share")

    async with chat.page.context.expect_page() as popup:
        await chat.view.locator(".g4fc-share-qr").click()
    qr = await popup.value
    await qr.wait_for_load_state()
    await expect(qr.locator("#qrcode svg")).to_be_visible()
    await expect(qr.locator("#share-link")).to_have_text(href)

    # the shared view draws the chat with the same bundle: Markdown, math, who answered
    await qr.goto(href)
    shared = qr.locator("article.g4fc-assistant")
    await expect(shared.locator(".g4fc-content strong")).to_have_text("Shared")
    await expect(shared.locator(".g4fc-content .katex")).to_have_count(1)
    await expect(shared.locator(".g4fc-role")).to_have_text("Echo · echo")
    await expect(qr.locator("article.g4fc-user .g4fc-content")).to_have_text("**Shared** answer with `code` and $x^2$")
    await qr.screenshot(path=str(artifacts_dir / f"chat-{host}-shared-view.png"), full_page=True)

    await chat.ask("A second question.")  # a shared chat stays current without pressing Share again
    for _ in range(40):
        await qr.goto(href)
        if await qr.locator("article.g4fc-user").count() == 2:
            break
        await qr.wait_for_timeout(250)
    await expect(qr.locator("article.g4fc-user .g4fc-content").last).to_have_text("A second question.")

    await chat.view.locator(".g4fc-unshare").click()
    await expect(chat.view.locator(".g4fc-share-panel")).to_be_hidden()
    share_id = href.rsplit("/", 1)[1]
    assert (await chat.page.request.get(chat.api(f"chat/{share_id}"))).status == 404
    assert not chat.errors, chat.errors


@pytest.mark.asyncio
@pytest.mark.parametrize("host", HOSTS)
async def test_keys_store_a_key_the_provider_then_receives_and_remove_it(
    host: str, browser: Browser, server: tuple[str, str], g4f_data_dir: Path, artifacts_dir: Path
) -> None:
    chat = await open_chat(browser, host, *server)
    await chat.pick("EchoKeyed")
    failed = await chat.ask("hello without a key")
    await expect(failed.locator(".g4fc-error")).to_contain_text("ECHOKEYED_API_KEY")  # the server's own message

    await chat.menu("g4fc-keys")
    row = chat.view.locator(".g4fc-key-row[data-provider='EchoKeyed']")
    await expect(row.locator(".g4fc-key-state")).to_have_text("needed")
    await row.locator("input").fill("sk-from-the-view")
    await row.locator(".g4fc-key-save").click()
    await expect(chat.view.locator(".g4fc-key-row[data-provider='EchoKeyed'] .g4fc-key-state")).to_have_text("stored")
    path = g4f_data_dir / "cookies" / "api_key_EchoKeyed.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "sk-from-the-view" not in await chat.view.locator(".g4fc-keys-panel").inner_html(), "never shown back"
    await chat.shot(artifacts_dir, "keys")

    answer = await chat.ask("hello with a key")
    await expect(answer.locator(".g4fc-content")).to_have_text("hello with a key")
    assert EchoOpenAI.authorizations[-1] == "Bearer sk-from-the-view"

    await chat.view.locator(".g4fc-key-row[data-provider='EchoKeyed'] .g4fc-key-remove").click()
    await expect(chat.view.locator(".g4fc-key-row[data-provider='EchoKeyed'] .g4fc-key-state")).to_have_text("needed")
    assert not path.exists()
    assert not chat.errors, chat.errors


@pytest.mark.asyncio
@pytest.mark.parametrize("host", HOSTS)
async def test_reasoning_is_collapsed_and_usage_names_prompt_completion_and_total(
    host: str, browser: Browser, server: tuple[str, str], artifacts_dir: Path
) -> None:
    chat = await chat_in(browser, host, server)
    answer = await chat.ask("think: The answer is 42.")
    await expect(answer.locator(".g4fc-content")).to_have_text("The answer is 42.")
    reasoning = answer.locator("details.g4fc-reasoning")
    await expect(reasoning).to_have_js_property("open", False)
    await expect(reasoning.locator(".g4fc-reasoning-text")).to_be_hidden()
    await expect(reasoning.locator(".g4fc-reasoning-text")).to_have_text(REASONING)
    await expect(answer.locator(".g4fc-usage")).to_have_text(re.compile(r"^prompt \d+ · completion \d+ · total \d+$"))
    await reasoning.locator("summary").click()
    await expect(reasoning.locator(".g4fc-reasoning-text")).to_be_visible()
    await chat.shot(artifacts_dir, "reasoning")
    assert not chat.errors, chat.errors


WIDE = (
    MARKDOWN
    + "\n```\n" + "a_very_long_line_of_code " * 20 + "\n```\n\n"
    + "| " + " | ".join(f"column{i}" for i in range(12)) + " |\n|" + "---|" * 12 + "\n"
    + "| " + " | ".join(str(i) for i in range(12)) + " |\n\n"
    + "https://example.org/" + "a" * 120 + "\n"
)


@pytest.mark.asyncio
@pytest.mark.parametrize(("host", "width"), [("page", 375), ("lab", 1280)])
async def test_nothing_is_wider_than_a_phone_or_the_sidebar(
    host: str, width: int, browser: Browser, server: tuple[str, str], artifacts_dir: Path
) -> None:
    chat = await chat_in(browser, host, server, width=width)
    box = await chat.view.bounding_box()
    assert box
    if host == "lab":
        assert box["width"] == 250, "the panel at Lab's default sidebar width"
    else:
        assert box["width"] == 375
    answer = await chat.ask(WIDE)
    await chat.view.locator(".g4fc-share").click()
    await expect(chat.view.locator(".g4fc-share-link")).to_be_visible()
    for part in (chat.view, chat.view.locator(".g4fc-main"), chat.view.locator(".g4fc-messages"),
                 chat.view.locator(".g4fc-header"), chat.view.locator(".g4fc-share-panel")):
        assert await overflow(part) <= 0, await part.evaluate("node => node.className")
    code = answer.locator("pre").nth(1)
    assert await overflow(code) > 0, "a long code line scrolls inside its block"
    assert await overflow(answer.locator(".g4fc-table-box").nth(1)) > 0, "a wide table scrolls in its box"
    for part in (".g4fc-prompt", ".g4fc-send", ".g4fc-menu-button", ".g4fc-provider", ".g4fc-model", ".g4fc-attach"):
        inner = await chat.view.locator(part).bounding_box()
        assert inner and inner["x"] >= box["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"], part
    if host == "page":
        assert await chat.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    await chat.shot(artifacts_dir, f"{int(box['width'])}px")
    # the saved chats slide over the chat and away again
    listed = await chat.saved_chats()
    await expect(listed.locator("li")).to_have_count(1)
    await chat.shot(artifacts_dir, f"{int(box['width'])}px-chats")
    messages = chat.view.locator(".g4fc-messages")
    beside = await messages.bounding_box()
    assert beside
    await messages.click(position={"x": beside["width"] - 8, "y": 8})  # a tap beside the list closes it
    await expect(chat.view.locator(".g4fc-sidebar")).to_be_hidden()
    assert not chat.errors, chat.errors


@pytest.mark.asyncio
async def test_the_page_reads_sse_framing_too(browser: Browser, server: tuple[str, str]) -> None:
    chat = await open_chat(browser, "page", *server, query="&format=sse")
    await chat.pick("Echo")
    async with chat.page.expect_response(lambda r: "/backend-api/v2/conversation?" in r.url) as sent:
        answer = await chat.ask("Framed as server-sent events.")
    response = await sent.value
    assert response.url.endswith("conversation?format=sse")
    assert (await response.text()).startswith("event: ")
    await expect(answer.locator(".g4fc-content")).to_have_text("Framed as server-sent events.")
    assert not chat.errors, chat.errors
