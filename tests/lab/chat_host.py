"""The one chat view in its two hosts, driven alike: the web page (``g4f/``) and the Lab panel.

Both run against the same real JupyterLab server (which serves the page too), in Debian's
Chromium; a test names the host and gets the view's root, whatever surrounds it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

HOSTS = ["page", "lab"]
PANEL_TAB = ".jp-SideBar.jp-mod-right .lm-TabBar-tab[title='g4f chat']"


@dataclass
class Chat:
    """One open chat view: its host, the browser page, the server (url with base, token)."""

    host: str
    page: Page
    url: str
    token: str
    errors: list[str] = field(default_factory=list)

    @property
    def view(self) -> Locator:
        return self.page.locator(".g4fc-view")

    def api(self, path: str) -> str:
        return f"{self.url}/backend-api/v2/{path}"

    async def put(self, path: str, data: Any) -> Any:
        """PUT JSON to the API as a program would (token auth), from this browser's request context."""
        return await self.page.request.put(
            self.api(path), data=json.dumps(data),
            headers={"Content-Type": "application/json", "Authorization": f"token {self.token}"},
        )

    async def pick(self, provider: str, model: str = "echo") -> None:
        await expect(self.view.locator(f".g4fc-provider option[value='{provider}']")).to_have_count(1)
        await self.view.locator(".g4fc-provider").select_option(provider)
        await expect(self.view.locator(".g4fc-model")).to_have_value(model)

    async def send(self, text: str) -> None:
        """Type ``text`` and press Enter (the answer streams on)."""
        prompt = self.view.locator(".g4fc-prompt")
        await prompt.fill(text)
        await prompt.press("Enter")
        await expect(prompt).to_have_value("")

    async def done(self, timeout: float = 30_000) -> Locator:
        """The last answer, once it has ended."""
        await expect(self.view.locator(".g4fc-send")).to_be_visible(timeout=timeout)
        answer = self.view.locator("article.g4fc-assistant").last
        await expect(answer).not_to_have_class(re.compile(r"\bg4fc-streaming\b"))
        return answer

    async def ask(self, text: str, timeout: float = 30_000) -> Locator:
        await self.send(text)
        return await self.done(timeout)

    async def menu(self, item: str) -> None:
        """Pick ``item`` (its class) from the ⋯ menu."""
        await self.view.locator(".g4fc-menu-button").click()
        await self.view.locator(f".g4fc-menu-items .{item}").click()

    async def saved_chats(self) -> Locator:
        """The saved chats as the store has them now (slid open, again, where they do not stand beside the chat)."""
        chats = self.view.locator(".g4fc-chats")
        slid_open = "g4fc-list-open" in (await self.view.get_attribute("class") or "")
        if await chats.is_visible() and not slid_open:
            await chats.click()  # opening it reads the store
        else:  # already in sight: read again when the window gets the focus back, as from another tab
            await self.page.evaluate("window.dispatchEvent(new Event('focus'))")
        listed = self.view.locator(".g4fc-conversations")
        await expect(listed).to_be_visible()
        return listed

    async def shot(self, folder: Path, name: str) -> None:
        await self.page.screenshot(path=str(folder / f"chat-{self.host}-{name}.png"), animations="disabled")


async def open_chat(
    browser: Browser, host: str, url: str, token: str, width: int = 1280, height: int = 800, query: str = ""
) -> Chat:
    """A new browser context with the chat open in ``host``, logged in through ``?token=``."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    return await show(Chat(host, page, url, token), page, query)


async def show(chat: Chat, page: Page, query: str = "", listen: bool = True) -> Chat:
    """Load the host's page in ``page`` (another tab; ``listen=False`` for a reload) and wait for the view."""
    errors = chat.errors
    if listen:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    if chat.host == "page":
        await page.goto(f"{chat.url}/g4f/?token={chat.token}{query}")
    else:
        await page.goto(f"{chat.url}/lab?token={chat.token}{query}", timeout=90_000)
        tab = page.locator(PANEL_TAB)
        await expect(tab).to_be_visible(timeout=90_000)
        if not await page.locator(".g4f-lab-panel").is_visible():
            await tab.click()
    await expect(page.locator(".g4fc-view")).to_be_visible(timeout=60_000)
    await expect(page.locator(".g4fc-provider option").nth(1)).to_be_attached(timeout=30_000)
    return Chat(chat.host, page, chat.url, chat.token, errors)


async def overflow(locator: Locator) -> Any:
    """How many pixels ``locator``'s content is wider than its box (0 or less: nothing sticks out)."""
    return await locator.evaluate("node => node.scrollWidth - node.clientWidth")
