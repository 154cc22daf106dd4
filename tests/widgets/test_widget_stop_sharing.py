"""Stop sharing: DELETE /backend-api/v2/chat/<share_id> and the share widget's button."""

from __future__ import annotations

import asyncio
import json

import pytest

from g4f_jupyter.store.layout import share_file
from g4f_jupyter.widgets import ChatWidget, ShareWidget

V2 = "backend-api/v2"
CHAT = {"id": "c1", "title": "t", "updated": 5, "items": [{"role": "user", "content": "hi"}]}


@pytest.mark.asyncio
async def test_delete_route_stops_a_share(raw_fetch, error_message, g4f_data_dir) -> None:
    assert (await raw_fetch(f"{V2}/chat/s-1", "POST", body=CHAT)).code == 200
    (g4f_data_dir / "buckets" / "s-1").mkdir(parents=True)  # a bucket of the same name is another namespace
    response = await raw_fetch(f"{V2}/chat/s-1", "DELETE")
    assert response.code == 200 and json.loads(response.body) == {"share_id": "s-1", "deleted": True}
    assert not share_file("s-1").exists() and (g4f_data_dir / "buckets" / "s-1").is_dir()
    gone = await raw_fetch(f"{V2}/chat/s-1")
    assert gone.code == 404 and "s-1" in error_message(gone)
    again = await raw_fetch(f"{V2}/chat/s-1", "DELETE")
    assert again.code == 404 and "s-1" in error_message(again)
    assert (await raw_fetch(f"{V2}/chat/s-1", "POST", body=CHAT)).code == 200  # can be shared again


@pytest.mark.asyncio
@pytest.mark.parametrize("share_id", ["..%2Fx", ".hidden", "a%00b"])
async def test_delete_refuses_bad_ids(raw_fetch, error_message, share_id) -> None:
    response = await raw_fetch(f"{V2}/chat/{share_id}", "DELETE")
    assert response.code == 400 and error_message(response)


@pytest.mark.asyncio
async def test_delete_needs_login(raw_fetch) -> None:
    assert (await raw_fetch(f"{V2}/chat/s-1", "POST", body=CHAT)).code == 200
    response = await raw_fetch(f"{V2}/chat/s-1", "DELETE", auth=False)
    assert response.code == 403 and share_file("s-1").exists()


@pytest.mark.asyncio
async def test_widget_stop_sharing_button(raw_fetch) -> None:
    chat = ChatWidget(max_tokens=4)
    await asyncio.wait_for(chat.send("Say hi."), 60)
    share = ShareWidget(chat, share_id="w-1", base_url="http://127.0.0.1:8888/")
    assert share.stop_button.layout.display == "none"  # nothing to stop yet
    share.share_button.click()
    assert share.shared and share.stop_button.layout.display is None and share.link.value
    assert (await raw_fetch(f"{V2}/chat/w-1")).code == 200
    share.stop_button.click()
    assert not share.shared and share.share_button.description == "Share"
    assert share.stop_button.layout.display == "none" and share.link.value == share.qr.value == ""
    assert "Stopped sharing" in share.status.value
    assert (await raw_fetch(f"{V2}/chat/w-1")).code == 404
    share.share_button.click()  # sharing again publishes it again
    assert (await raw_fetch(f"{V2}/chat/w-1")).code == 200
    assert (await raw_fetch(f"{V2}/chat/w-1", "DELETE")).code == 200
    assert share.stop_sharing() and not share.shared  # deleted elsewhere: stopping still succeeds
