"""Generated media: an OpenAI-compatible images server and a relaying peer, saved, served and searched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest
from images_api import PNG, ImagesAPI, add_images_provider
from peers import Peer, add_peer

from g4f_jupyter.core import events as ev

V2 = "backend-api/v2"


class MediaPeer(Peer):
    """Another ``/backend-api/v2`` server whose provider made a picture, linked relative to itself."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def answer(self, body: dict[str, Any]) -> bytes:
        events = [ev.ProviderInfo(name="Painter", model="p"), ev.Media(urls=("/media/peer.png",), alt="a boat")]
        return "".join(ev.frame(e, "ndjson") for e in [*events, ev.Finish("stop")]).encode()

    def do_GET(self) -> None:
        self._reply(200, "image/png", PNG)


def lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


@pytest.fixture
def images(loopback, user_providers_dir) -> str:
    add_images_provider(user_providers_dir, loopback(ImagesAPI))
    return "Pics"


def ask(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "Pics", "model": "pic-1", "messages": [{"role": "user", "content": prompt}], **extra}


def media_event(events: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in events if e["type"] == "content" and "urls" in e)


@pytest.mark.asyncio
async def test_image_model_picture_is_saved_served_and_found(images, raw_fetch, g4f_data_dir) -> None:
    response = await raw_fetch(f"{V2}/conversation", "POST", body=ask("A red lighthouse at dusk", aspect_ratio="16:9"))
    events = lines(response.body)
    assert response.code == 200 and [e["type"] for e in events][:1] == ["provider"]
    assert ImagesAPI.bodies == [{"model": "pic-1", "prompt": "A red lighthouse at dusk", "size": "1792x1024"}]
    media = media_event(events)
    (url,) = media["urls"]
    name = url.removeprefix("/media/")
    assert url.startswith("/media/") and "lighthouse" in name and "pic-1" in name and name.endswith(".png")
    assert (g4f_data_dir / "media" / name).read_bytes() == PNG
    assert media["alt"] == "A red lighthouse at dusk" and f"]({url})" in media["content"]
    assert any(e["type"] == "log" and name in e["log"] for e in events)
    assert [e["type"] for e in events if e["type"] != "log"][-2:] == ["usage", "finish"]

    served = await raw_fetch(f"media/{name}")
    assert served.code == 200 and served.body == PNG and served.headers["Content-Type"] == "image/png"
    found = await raw_fetch("search/lighthouse+dusk")
    assert found.code == 302 and unquote(found.headers["Location"]).endswith(f"/media/{name}")
    assert (await raw_fetch("search/lighthouse+zebra")).code == 404
    some = await raw_fetch("search/lighthouse+zebra?min=1")
    assert some.code == 302 and unquote(some.headers["Location"]).endswith(f"/media/{name}")
    assert (await raw_fetch("search/image_png+lighthouse+zebra?min=2")).code == 302
    assert (await raw_fetch("search/lighthouse?min=x")).code == 400


@pytest.mark.asyncio
async def test_a_linked_picture_is_downloaded_and_keeps_its_source(images, raw_fetch, g4f_data_dir) -> None:
    ImagesAPI.as_url = True
    response = await raw_fetch(f"{V2}/conversation", "POST", body=ask("Green hills"))
    (url,) = media_event(lines(response.body))["urls"]
    path, _, query = url.partition("?url=")
    assert unquote(query).endswith("/out/pic.png") and unquote(query).startswith("http://127.0.0.1:")
    assert (g4f_data_dir / "media" / path.removeprefix("/media/")).read_bytes() == PNG


@pytest.mark.asyncio
async def test_download_media_false_keeps_the_providers_link(images, raw_fetch, g4f_data_dir) -> None:
    ImagesAPI.as_url = True
    response = await raw_fetch(f"{V2}/conversation", "POST", body=ask("Green hills", download_media=False))
    (url,) = media_event(lines(response.body))["urls"]
    assert url.endswith("/out/pic.png") and not list(g4f_data_dir.glob("media/*"))


@pytest.mark.asyncio
async def test_media_from_another_server_is_saved(loopback, user_providers_dir, raw_fetch, g4f_data_dir) -> None:
    add_peer(user_providers_dir, "Remote", loopback(MediaPeer))
    body = {"provider": "Remote", "messages": [{"role": "user", "content": "Paint a boat"}]}
    events = lines((await raw_fetch(f"{V2}/conversation", "POST", body=body)).body)
    (url,) = media_event(events)["urls"]
    name = url.split("?", 1)[0].removeprefix("/media/")
    assert "boat" in name and (g4f_data_dir / "media" / name).read_bytes() == PNG


@pytest.mark.asyncio
async def test_image_model_errors_and_chat_models_are_unchanged(images, raw_fetch, error_message) -> None:
    empty = await raw_fetch(f"{V2}/conversation", "POST", body=ask(" "))
    assert empty.code == 200 and lines(empty.body)[-1]["type"] in ("error", "log")
    assert any(e["type"] == "error" and "prompt" in e["message"] for e in lines(empty.body))
    assert ImagesAPI.bodies == []


def test_media_names_are_safe(g4f_data_dir: Path) -> None:
    from g4f_jupyter.service.generated import media_tags, save_media

    name = save_media(PNG, media_tags("../../etc/passwd " + "long " * 50, "org/model:v1"), "data:")
    assert name is not None and "/" not in name and len(name) <= 128
    assert (g4f_data_dir / "media" / name).read_bytes() == PNG
    assert save_media(b"not media", ["x"], "https://example.org/page.html") is None
