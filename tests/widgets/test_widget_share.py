"""The share widget: the chat's conversation on disk, served by the share route, link and QR shown."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from g4f_jupyter.service.shares import load_share
from g4f_jupyter.store.layout import share_file
from g4f_jupyter.widgets import ChatWidget, ShareWidget


@pytest.mark.asyncio
async def test_shared_chat_is_served_by_the_route_and_follows_new_answers(jp_fetch) -> None:
    chat = ChatWidget(max_tokens=12)
    share = ShareWidget(chat, share_id="team-chat", base_url="http://127.0.0.1:8888/a%40b/")
    await asyncio.wait_for(chat.send("Name a colour."), 60)
    share.share_button.click()
    assert share.shared and share.share_button.description == "Update share"

    stored = json.loads(share_file("team-chat").read_text("utf-8"))
    assert stored["items"] == chat.conversation["items"]
    response = await jp_fetch("backend-api", "v2", "chat", "team-chat")
    served = json.loads(response.body)
    assert served["items"][0] == {"role": "user", "content": "Name a colour."}
    assert served["items"][1]["content"] == chat.transcript.children[1].text
    first_stamp = served["updated"]

    assert share.url == "http://127.0.0.1:8888/a%40b/g4f/chat/team-chat"
    assert f'href="{share.url}"' in share.link.value
    assert "<svg" in share.qr.value and "Shared chat link" in share.qr.value
    page = await jp_fetch("g4f", "chat", "team-chat")
    assert page.code == 200  # the link points at a page the server really serves

    # another answer re-saves the share with a new stamp, without clicking
    await asyncio.wait_for(chat.send("Name another colour."), 60)
    again = load_share("team-chat")
    assert len(again["items"]) == 4 and again["updated"] > first_stamp
    with pytest.raises(HTTPClientError) as not_modified:
        await jp_fetch("backend-api", "v2", "chat", "team-chat", headers={"If-None-Match": str(again["updated"])})
    assert not_modified.value.code == 304
    response = await jp_fetch("backend-api", "v2", "chat", "team-chat", headers={"If-None-Match": str(first_stamp)})
    assert len(json.loads(response.body)["items"]) == 4


@pytest.mark.asyncio
async def test_empty_chat_is_not_shared() -> None:
    share = ShareWidget(ChatWidget())
    assert share.share() is None
    assert "Nothing to share yet" in share.status.value
    assert not share_file(share.share_id).exists()


@pytest.mark.asyncio
async def test_without_a_server_the_share_is_saved_and_the_widget_says_how_to_get_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))  # no running server to be found
    monkeypatch.delenv("G4F_SHARE_URL", raising=False)
    chat = ChatWidget(max_tokens=8)
    await asyncio.wait_for(chat.send("Say hi."), 60)
    share = ShareWidget(chat)
    share_id = share.share()
    assert share_id == share.share_id and load_share(share_id)["items"]
    assert share.url is None and "G4F_SHARE_URL" in share.link.value and share.qr.value == ""
    monkeypatch.setenv("G4F_SHARE_URL", "https://share.example.org/")
    # a second click saves again (a new stamp, never the refused unchanged one)
    assert share.share() == share_id and "Could not share" not in share.status.value


def test_bad_share_id_is_refused() -> None:
    with pytest.raises(Exception, match="invalid share id"):
        ShareWidget(ChatWidget(), share_id="../x")
