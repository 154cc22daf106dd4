"""Sharing with hub users from the ShareWidget and from the chat page, on a real JupyterHub.

The widget runs in a process with the environment alice's server gave its kernels (her hub
token, her data directory); the page runs in Chromium, logged in to the hub as alice. Bob,
logged in to the same hub, opens the hub links; a visitor without a login does not.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hubrig import Hub
from playwright.async_api import Browser, BrowserContext, Locator, async_playwright, expect
from tornado.httpclient import HTTPClientError

from g4f_jupyter.widgets import ChatWidget, ShareWidget

PASSWORD = "try-g4f"  # the example config's DummyAuthenticator password

# What a notebook cell in alice's kernel would do: chat, share with hub users, chat on, stop sharing.
WIDGET_SCRIPT = """
import asyncio, json, os, sys, urllib.request
from g4f_jupyter.widgets import ChatWidget, ShareWidget

async def main():
    chat = ChatWidget(provider="HubModel", max_tokens=12, temperature=0)
    share = ShareWidget(chat, share_id=sys.argv[1])
    out = {"hub_button": share.hub_button.layout.display}
    await chat.send("Name a colour.")
    share.hub_button.click()
    out |= {"hub_url": share.hub_url, "url": share.url, "hub_link": share.hub_link.value, "status": share.status.value}
    await chat.send("Name another colour.")  # a shared chat follows its answers, on the hub too
    out["before_stop"] = json.loads(urllib.request.urlopen(urllib.request.Request(
        share.hub_url.replace("/chat/", "/api/chat/"),
        headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]})).read())
    share.stop_sharing()
    out["stopped"] = share.status.value
    print(json.dumps(out))

asyncio.run(main())
"""


def server_environment(pid: int) -> dict[str, str]:
    """The environment JupyterHub gave a user's server, which its kernels inherit."""
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def test_alices_share_widget_shares_with_hub_users_and_bob_reads_it(team_hub: Hub) -> None:
    share_id = uuid.uuid4().hex
    env = server_environment(team_hub.server_pid("alice"))
    done = subprocess.run([sys.executable, "-c", WIDGET_SCRIPT, share_id], env=env, cwd=env["HOME"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])

    assert out["hub_button"] is None  # offered under the hub
    hub_link = f"{team_hub.url}services/g4f-shares/chat/{share_id}"
    assert out["hub_url"] == hub_link
    assert f'href="{hub_link}"' in out["hub_link"] and "<svg" in out["hub_link"]
    assert "with hub users" in out["status"]
    assert out["url"] == f"{team_hub.url}user/alice/g4f/chat/{share_id}"  # her own server's link, via the hub
    # stopping ends her server's link and the hub's copy
    assert "links no longer open" in out["stopped"], out["stopped"]

    assert out["before_stop"]["owner"] == "alice"
    assert [i["content"] for i in out["before_stop"]["items"] if i["role"] == "user"] == [
        "Name a colour.", "Name another colour."]  # the second answer reached the hub copy
    with team_hub.client("bob") as bob, team_hub.client("alice") as alice, team_hub.client() as visitor:
        assert bob.get(hub_link).status_code == 404  # stopped on the hub too
        assert alice.get(f"user/alice/g4f/chat/{share_id}").status_code == 404  # and on her server
        assert visitor.get(hub_link).status_code == 302  # to the hub's login


@pytest.mark.asyncio
async def test_a_refused_hub_share_is_reported_and_no_hub_link_shown(
    team_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G4F_HUB_SHARES_URL", f"{team_hub.url}services/g4f-shares/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "not-a-hub-token")
    chat = ChatWidget(provider="Local", max_tokens=4)
    share = ShareWidget(chat, share_id=uuid.uuid4().hex)
    assert share.hub_button.layout.display is None
    await asyncio.wait_for(chat.send("Say hi."), 60)

    assert share.share_with_hub() is None
    assert share.hub_url is None and share.hub_link.value == ""
    assert "Could not share with hub users" in share.status.value and "refused" in share.status.value
    assert share.shared  # still shared on this server: only the hub refused


@pytest.mark.asyncio
async def test_outside_a_hub_neither_the_widget_nor_the_page_offers_hub_sharing(jp_fetch: Any) -> None:
    assert ShareWidget(ChatWidget()).hub_button.layout.display == "none"
    page = (await jp_fetch("g4f", "")).body.decode()
    found = re.search(r'<script id="g4f-config"[^>]*>(.*?)</script>', page, re.S)
    assert found is not None
    config = json.loads(found[1])
    assert config["hub_shares"] is False
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("g4f", "qrcode", "some-share", params={"to": "hub"})
    assert missing.value.code == 404


@pytest_asyncio.fixture
async def browser(chromium_options: dict[str, Any]) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        running = await pw.chromium.launch(**chromium_options)
        try:
            yield running
        finally:
            await running.close()


async def ask(view: Locator, question: str) -> Locator:
    """Ask in the chat view; the answer once it has ended."""
    await view.locator(".g4fc-prompt").fill(question)
    await view.locator(".g4fc-prompt").press("Enter")
    await expect(view.locator(".g4fc-send")).to_be_visible(timeout=90_000)
    answer = view.locator("article.g4fc-assistant").last
    await expect(answer).not_to_have_class(re.compile(r"\bg4fc-streaming\b"))
    return answer


async def logged_in(browser: Browser, hub: Hub, user: str) -> BrowserContext:
    """A browser context logged in to the hub as ``user`` through its login form."""
    context = await browser.new_context(viewport={"width": 1200, "height": 760})
    page = await context.new_page()
    await page.goto(f"{hub.url}hub/login")
    await page.fill("#username_input", user)
    await page.fill("#password_input", PASSWORD)
    await page.click("#login_submit")
    await page.wait_for_url(re.compile(r".*/(hub/home|hub/spawn-pending/.*|user/.*)$"), timeout=60_000)
    await page.close()
    return context


@pytest.mark.asyncio
async def test_alices_page_shares_with_hub_users_and_the_link_opens_for_bob(
    team_hub: Hub, browser: Browser, artifacts_dir: Path
) -> None:
    alice = await logged_in(browser, team_hub, "alice")
    page = await alice.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{team_hub.url}user/alice/g4f/")
    view = page.locator(".g4fc-view")
    await expect(view.locator(".g4fc-provider option[value='HubModel']")).to_have_count(1)
    await view.locator(".g4fc-provider").select_option("HubModel")
    await expect(view.locator(".g4fc-hub-share-button")).to_be_visible()
    answer = await ask(view, "Say hello to the team.")
    assert not await answer.locator(".g4fc-error").count(), await answer.inner_text()

    await view.locator(".g4fc-hub-share-button").click()
    hub_link = view.locator(".g4fc-hub-share-link")
    await expect(hub_link).to_be_visible(timeout=30_000)
    link = await hub_link.get_attribute("href")
    assert link and link.startswith(f"{team_hub.url}services/g4f-shares/chat/")
    share_id = link.rsplit("/", 1)[1]
    server_link = await view.locator(".g4fc-share-link").get_attribute("href")
    assert server_link == f"{team_hub.url}user/alice/g4f/chat/{share_id}"  # both links, side by side
    await expect(view.locator(".g4fc-hub-share-notice")).to_be_visible()  # 127.0.0.1: honest about who can open it
    await page.screenshot(path=str(artifacts_dir / "g4f-hub-share-page.png"))

    async with alice.expect_page() as popup:
        await view.locator(".g4fc-hub-share-qr").click()
    qr_page = await popup.value
    await qr_page.wait_for_load_state()
    await expect(qr_page.locator("#qrcode svg")).to_be_visible()
    await expect(qr_page.locator("#share-link")).to_have_text(link)
    assert not errors, errors

    # the next answer reaches the hub's copy without pressing the button again
    await ask(view, "And goodbye.")
    await expect(view.locator("article.g4fc-assistant")).to_have_count(2)

    bob = await logged_in(browser, team_hub, "bob")
    bob_page = await bob.new_page()
    response = await bob_page.goto(link)
    assert response is not None and response.status == 200
    # drawn by the same chat bundle as on alice's server, served by the shares service
    await expect(bob_page.locator("article.g4fc-user .g4fc-content")).to_have_text(
        ["Say hello to the team.", "And goodbye."])
    await expect(bob_page.locator("article.g4fc-assistant .g4fc-role").first).to_contain_text("Team model")  # its label
    assert bob_page.url == link  # read at the hub link itself, not redirected elsewhere
    await bob_page.screenshot(path=str(artifacts_dir / "g4f-hub-shared-view.png"), full_page=True)

    # Stop sharing under a hub ends both links: alice's server's and the hub's copy
    await view.locator(".g4fc-unshare").click()
    await expect(view.locator(".g4fc-share-panel")).to_be_hidden()  # hidden once both are gone
    gone = await bob_page.goto(link)
    assert gone is not None and gone.status == 404
    await expect(bob_page.locator("body")).to_contain_text("does not exist")
    assert (await page.request.get(server_link)).status == 404

    visitor = await browser.new_context()
    stranger = await visitor.new_page()
    await stranger.goto(link)
    assert "/hub/login" in stranger.url
    await expect(stranger.locator("body")).not_to_contain_text("Say hello to the team.")
