"""Request bodies held to the limit before buffering: refused by length, bounded while streaming,
spooled to disk, multipart parsed from disk, temporary files gone when the request ends."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from forms import multipart
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from g4f_jupyter.server_ext.base import G4FAPIHandler

LIMIT = 64 * 1024
MP_B = "multipart/form-data; boundary=b"
SEEN: list[dict[str, Any]] = []


class EchoBodyHandler(G4FAPIHandler):
    """Says what the body held, and where its files were while the request ran."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        if self.is_multipart():
            form = await self.form()
            files = [
                {"field": f.field, "name": f.filename, "size": f.size, "data": f.read_bytes()[:16].decode("latin-1"),
                 "path": str(f.path), "on_disk": f.path.is_file()}
                for f in form.files
            ]
            SEEN.append({"files": files})
            self.write_json({"fields": form.fields, "files": files})
        else:
            self.write_json({"json": self.json_body()})


@pytest.fixture
def echo(jp_serverapp: Any, server_url: str, jp_auth_header: dict[str, str]) -> Callable[..., Awaitable[HTTPResponse]]:
    """POST to a route built on the g4f API handler, with a 64 KiB limit."""
    jp_serverapp.web_app.settings["g4f_settings"].max_body_bytes = LIMIT
    base = jp_serverapp.web_app.settings["base_url"]
    jp_serverapp.web_app.add_handlers(".*$", [(url_path_join(base, "test-body-echo"), EchoBodyHandler)])
    SEEN.clear()

    async def post(body: Any, headers: dict[str, str] | None = None, auth: bool = True, **kwargs: Any) -> HTTPResponse:
        sent = {**(jp_auth_header if auth else {}), **(headers or {})}
        return await AsyncHTTPClient().fetch(
            server_url + "test-body-echo", method="POST", body=body, headers=sent, raise_error=False, **kwargs
        )

    return post


@pytest.fixture(autouse=True)
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory requests spool into, empty at the start of each test."""
    directory = tmp_path / "scratch"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def leftovers(scratch: Path) -> list[Path]:
    return list(scratch.iterdir())


@pytest.mark.asyncio
async def test_multipart_fields_and_files_come_from_disk_and_are_removed_after(echo: Any, scratch: Path) -> None:
    parts = [("json", None, b'{"a": 1}'), ("files", "a.txt", b"alpha"), ("files", "b.bin", b"\x00" * 5000)]
    body, headers = multipart(parts)
    response = await echo(body, headers)
    assert response.code == 200, response.body
    answer = json.loads(response.body)
    assert answer["fields"] == {"json": ['{"a": 1}']}
    got = [(f["field"], f["name"], f["size"]) for f in answer["files"]]
    assert got == [("files", "a.txt", 5), ("files", "b.bin", 5000)]
    assert answer["files"][0]["data"] == "alpha"
    assert all(f["on_disk"] for f in answer["files"]), "file parts are files while the request runs"
    assert all(Path(f["path"]).is_relative_to(scratch) for f in answer["files"])
    assert not any(Path(f["path"]).exists() for f in answer["files"]), "file parts are removed when the request ends"
    assert leftovers(scratch) == []


@pytest.mark.asyncio
async def test_json_body_reads_the_spool(echo: Any) -> None:
    response = await echo(json.dumps({"x": "é" * 100}), {"Content-Type": "application/json"})
    assert response.code == 200
    assert json.loads(response.body) == {"json": {"x": "é" * 100}}


@pytest.mark.asyncio
async def test_declared_length_over_the_limit_is_413_before_the_body(echo: Any, scratch: Path) -> None:
    response = await echo(b"x" * (2 * LIMIT), {"Content-Type": "application/json"})
    assert response.code == 413
    assert str(LIMIT) in json.loads(response.body)["error"]["message"]
    assert leftovers(scratch) == [], "nothing was spooled"


@pytest.mark.asyncio
async def test_chunked_body_over_the_limit_is_413(echo: Any, scratch: Path) -> None:
    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        for _ in range(8):
            await write(b"y" * (LIMIT // 2))

    response = await echo(None, {"Content-Type": "application/json"}, body_producer=produce)
    assert response.code == 413
    assert "error" in json.loads(response.body)
    assert leftovers(scratch) == []


@pytest.mark.asyncio
async def test_chunked_body_within_the_limit_is_accepted(echo: Any) -> None:
    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        for piece in (b'{"k": "', b"v" * 1000, b'"}'):
            await write(piece)

    response = await echo(None, {"Content-Type": "application/json"}, body_producer=produce)
    assert response.code == 200
    assert json.loads(response.body) == {"json": {"k": "v" * 1000}}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n", MP_B),
        (b"garbage without any boundary", MP_B),
        (b'--b\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nx\r\n--b--\r\n', MP_B),
        (b"x", "multipart/form-data"),
    ],
)
async def test_malformed_multipart_is_400_json(echo: Any, body: bytes, content_type: str, scratch: Path) -> None:
    response = await echo(body, {"Content-Type": content_type})
    assert response.code == 400, response.body
    assert "multipart" in json.loads(response.body)["error"]["message"]
    assert leftovers(scratch) == []


@pytest.mark.asyncio
async def test_too_many_parts_is_400_and_leaves_no_file(echo: Any, scratch: Path, jp_serverapp: Any) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].max_body_bytes = 1024 * 1024
    body, headers = multipart([("files", f"{i}.txt", b"") for i in range(1001)])
    response = await echo(body, headers)
    assert response.code == 400
    assert "more than 1000 parts" in json.loads(response.body)["error"]["message"]
    assert leftovers(scratch) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("length", ["+5", "-1", "5 5", "0x10", "\u00b2"])
async def test_a_malformed_content_length_is_400_json(length: str, jp_serverapp: Any, server_url: str) -> None:
    jp_serverapp.web_app.add_handlers(".*$", [(jp_serverapp.base_url + "test-body-echo", EchoBodyHandler)])
    host, port = server_url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    token = jp_serverapp.identity_provider.token
    writer.write(
        f"POST {jp_serverapp.base_url}test-body-echo HTTP/1.1\r\nHost: {host}\r\nAuthorization: token {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{}}".encode("latin-1")
    )
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert json.loads(body)["error"]["message"] == "invalid Content-Length header"


@pytest.mark.asyncio
async def test_bad_json_is_400(echo: Any) -> None:
    response = await echo(b"{not json", {"Content-Type": "application/json"})
    assert response.code == 400
    assert json.loads(response.body)["error"]["message"] == "Invalid JSON data"


@pytest.mark.asyncio
async def test_no_credentials_is_403_and_nothing_is_spooled(echo: Any, scratch: Path) -> None:
    body, headers = multipart([("files", "a.txt", b"alpha")])
    response = await echo(body, headers, auth=False)
    assert response.code == 403
    assert SEEN == [] and leftovers(scratch) == []


@pytest.mark.asyncio
async def test_a_body_past_the_memory_threshold_is_parsed_from_disk(echo: Any, jp_serverapp: Any) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].max_body_bytes = 8 * 1024 * 1024
    data = bytes(range(256)) * (3 * 4096)  # 3 MiB: the spool rolls over to a file
    body, headers = multipart([("files", "big.bin", data), ("note", None, "é".encode())])
    response = await echo(body, headers, request_timeout=60)
    assert response.code == 200
    answer = json.loads(response.body)
    assert answer["fields"] == {"note": ["é"]}
    assert [(f["name"], f["size"]) for f in answer["files"]] == [("big.bin", len(data))]
