"""Chats live in the server's conversation store, so every host sees the same ones (real JupyterLab,
real server, Chromium): a chat sent in the panel survives a Lab reload and is listed by the page,
one started on the page opens in the panel, a widget's chat appears in both, a delete in one is
gone in all; a chat exports as a notebook that opens in Lab and runs; the page imports upstream's
exported JSON and, once, the chats its browser kept in localStorage.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from chat_host import Chat, open_chat, show
from playwright.async_api import Browser, Locator, Page, expect

from g4f_jupyter.widgets import ChatWidget


@pytest.fixture
def server(echo: str, lab: tuple[str, str]) -> tuple[str, str]:
    return lab


async def listed(chat: Chat, title: str) -> Locator:
    """The saved chats titled ``title`` in the view's list, as the store has them now."""
    return (await chat.saved_chats()).locator(".g4fc-chat-title", has_text=title)


async def open_listed(chat: Chat, title: str) -> None:
    listed = await chat.saved_chats()
    await listed.locator(".g4fc-chat-title", has_text=title).click()
    await expect(chat.view.locator("article.g4fc-user").first).to_contain_text(title)


@pytest.mark.asyncio
async def test_a_chat_is_the_same_in_the_panel_the_page_and_a_widget_and_a_delete_is_everywhere(
    browser: Browser, server: tuple[str, str], artifacts_dir: Path
) -> None:
    panel = await open_chat(browser, "lab", *server)
    await panel.pick("Echo")
    await panel.ask("Panel question about tea")
    await panel.ask("And a second turn")

    # reloading Lab reopens the panel's chat, both turns
    await panel.page.reload()
    panel = await show(panel, panel.page, listen=False)
    await expect(panel.view.locator("article.g4fc-message")).to_have_count(4)
    await expect(panel.view.locator("article.g4fc-user .g4fc-content").first).to_have_text("Panel question about tea")

    # the page lists it and opens it
    tab = await panel.page.context.new_page()
    page = await show(Chat("page", tab, *server), tab)
    await expect(await listed(page, "Panel question about tea")).to_have_count(1)
    await open_listed(page, "Panel question about tea")
    await expect(page.view.locator("article.g4fc-message")).to_have_count(4)

    # a chat started on the page opens in the panel
    await page.view.locator(".g4fc-new-chat").click()
    await page.pick("Echo")
    await page.ask("Page question about coffee")
    await open_listed(panel, "Page question about coffee")
    await expect(panel.view.locator("article.g4fc-assistant .g4fc-content")).to_have_text("Page question about coffee")

    # Web chat in the panel opens the panel's chat on the page
    web = panel.view.locator(".g4fc-web-chat")
    href = await web.get_attribute("href")
    coffee = (await (await panel.page.request.get(panel.api("conversations?search=coffee"))).json())["conversations"]
    assert href == f"{server[0]}/g4f/?id={coffee[0]['id']}"
    other = await panel.page.context.new_page()
    await other.goto(href)
    await expect(other.locator("article.g4fc-user .g4fc-content")).to_have_text("Page question about coffee")

    # a chat widget's chat (saved after its answer) appears in both
    widget = ChatWidget(provider="Echo")
    await widget.send("Widget question about juice")
    await page.page.reload()
    page = await show(page, page.page, listen=False)
    await expect(await listed(page, "Widget question about juice")).to_have_count(1)
    await expect(await listed(panel, "Widget question about juice")).to_have_count(1)
    await page.shot(artifacts_dir, "saved-chats")
    await panel.shot(artifacts_dir, "saved-chats")

    # deleted on the page: gone from the page, the panel and the store
    tea = (await (await page.page.request.get(page.api("conversations?search=tea"))).json())["conversations"][0]
    await page.view.locator(f".g4fc-conversations li[data-id='{tea['id']}'] .g4fc-delete").click()
    await expect(page.view.locator(f".g4fc-conversations li[data-id='{tea['id']}']")).to_have_count(0)
    await expect(await listed(panel, "Panel question about tea")).to_have_count(0)
    assert (await page.page.request.get(page.api(f"conversations/{tea['id']}"))).status == 404
    assert not panel.errors and not page.errors, panel.errors + page.errors


async def run_all(page: Page) -> None:
    """Run every cell of the open notebook, accepting Lab's kernel dialog if it asks."""
    idle = page.get_by_role("button", name="Python 3 (ipykernel) | Idle")
    select = page.locator(".jp-Dialog button", has_text="Select")
    deadline = time.monotonic() + 90
    while not await idle.count():
        if await select.count():
            await select.first.click()
        assert time.monotonic() < deadline, "the kernel did not start"
        await page.wait_for_timeout(250)
    await page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    await page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


@pytest.mark.asyncio
async def test_a_chat_exported_as_a_notebook_opens_in_lab_and_its_code_runs(
    browser: Browser, server: tuple[str, str], artifacts_dir: Path, tmp_path: Path
) -> None:
    panel = await open_chat(browser, "lab", *server, width=1400, height=900)
    await panel.pick("Echo")
    await panel.ask("Squares\n\n```python\nprint(6 * 7)\n```")
    await panel.menu("g4fc-export-ipynb")
    await expect(panel.view.locator(".g4fc-info", has_text="Exported to")).to_be_visible()
    tab = panel.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=".ipynb")
    await expect(tab).to_be_visible(timeout=30_000)
    notebook = panel.page.locator(".jp-NotebookPanel:visible")
    await expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=30_000)
    await run_all(panel.page)
    await expect(notebook.locator(".jp-OutputArea-output", has_text="42")).to_be_visible(timeout=90_000)
    await panel.shot(artifacts_dir, "exported-notebook")

    await panel.menu("g4fc-export-md")
    await expect(panel.view.locator(".g4fc-info", has_text=".md")).to_be_visible()
    files = (await (await panel.page.request.get(f"{server[0]}/api/contents?token={server[1]}")).json())["content"]
    assert {f["name"].rsplit(".", 1)[1] for f in files if f["name"].startswith("squares")} == {"ipynb", "md"}
    assert not panel.errors, panel.errors


UPSTREAM = {
    "id": "upstream-1", "title": "From gpt4free", "added": 1_700_000_000_000, "updated": 1_700_000_000_500,
    "items": [
        {"role": "user", "content": "Exported upstream question"},
        {"role": "assistant", "content": "An *answer*", "provider": {"name": "OpenaiChat", "model": "gpt-4o"}},
    ],
}


@pytest.mark.asyncio
async def test_the_page_imports_upstreams_export_and_once_its_own_localstorage_chats(
    browser: Browser, server: tuple[str, str], tmp_path: Path
) -> None:
    page = await open_chat(browser, "page", *server)
    exported = tmp_path / "gpt4free-export.json"
    exported.write_text(json.dumps([UPSTREAM]), "utf-8")
    await page.view.locator(".g4fc-import-file").set_input_files(str(exported))  # Import chats… in the ⋯ menu
    await expect(page.view.locator(".g4fc-info")).to_have_text("Imported 1 chat(s) from gpt4free-export.json.")
    await expect(page.view.locator("article.g4fc-user .g4fc-content")).to_have_text("Exported upstream question")
    await expect(page.view.locator("article.g4fc-assistant .g4fc-content em")).to_have_text("answer")
    await expect(page.view.locator("article.g4fc-assistant .g4fc-role")).to_have_text("OpenaiChat · gpt-4o")

    # what this browser kept before the server stored chats goes to the store, once
    kept = {**UPSTREAM, "id": "local-1", "title": "Kept in this browser", "items": UPSTREAM["items"][:1]}
    await page.page.evaluate(
        "c => { localStorage.setItem('conversation:' + c.id, JSON.stringify(c));"
        " localStorage.removeItem('g4f:imported'); }",
        kept,
    )
    await page.page.reload()
    page = await show(page, page.page, listen=False)
    await expect(await listed(page, "Kept in this browser")).to_have_count(1)
    assert await page.page.evaluate("localStorage.getItem('g4f:imported')")
    stored = await page.page.request.get(page.api("conversations/local-1"))
    assert stored.ok and (await stored.json())["title"] == "Kept in this browser"
    assert not page.errors, page.errors
