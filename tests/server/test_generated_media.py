"""Generated media: an OpenAI-compatible images server and a relaying peer, saved, served and searched."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest
from peers import Peer, add_peer

from g4f_jupyter.core import events as ev

V2 = "backend-api/v2"


def png(width: int = 3, height: int = 2) -> bytes:
    """A real (tiny, red) PNG: signature, IHDR, one zlib IDAT, IEND, with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png()


class ImagesAPI(BaseHTTPRequestHandler):
    """``POST /v1/images/generations`` as OpenAI answers it; ``?as=url`` answers with a link it serves."""

    bodies: ClassVar[list[dict[str, Any]]] = []
    as_url: ClassVar[bool] = False

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, ctype: str, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        link = {"url": f"http://{self.headers['Host']}/out/pic.png"}
        item = link if type(self).as_url else {"b64_json": base64.b64encode(PNG).decode()}
        self._send("application/json", json.dumps({"created": 1, "data": [item]}).encode())

    def do_GET(self) -> None:
        self._send("image/png", PNG)


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
    ImagesAPI.bodies.clear()
    ImagesAPI.as_url = False
    (user_providers_dir / "Pics.toml").write_text(
        f'name = "Pics"\ndriver = "openai"\napi_base = "{loopback(ImagesAPI)}/v1"\n'
        'models = ["chat-1", "pic-1"]\nimage_models = ["pic-1"]\n'
    )
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
