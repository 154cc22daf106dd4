"""A loopback server speaking the OpenAI images API, answering with a real PNG."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar


def png(width: int = 3, height: int = 2) -> bytes:
    """A real (tiny, red) PNG: signature, IHDR, one zlib IDAT, IEND, with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png()


class ImagesAPI(BaseHTTPRequestHandler):
    """``POST /v1/images/generations`` as OpenAI answers it (``b64_json``); with ``as_url`` set,
    a link to the PNG, which it also serves."""

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


def add_images_provider(directory: Path, base: str, name: str = "Pics") -> None:
    """A catalog entry whose ``pic-1`` model makes pictures at ``base`` (the loopback server)."""
    ImagesAPI.bodies.clear()
    ImagesAPI.as_url = False
    (directory / f"{name}.toml").write_text(
        f'name = "{name}"\ndriver = "openai"\napi_base = "{base}/v1"\n'
        'models = ["chat-1", "pic-1"]\nimage_models = ["pic-1"]\n'
    )
