"""Every error a client can get under this server's prefixes is ``{"error": {"message"}}``: requests Tornado
refuses before routing (control characters in a header, a folded header line, a bad request line), and the
paths a client makes of ``..`` segments (resolved before sending, as httpx and browsers do).

Raw bytes over a real socket for what no HTTP client library will send; httpx for the rest.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

V2 = "backend-api/v2"


async def raw_request(port: int, head: str) -> tuple[bytes, dict[str, str], bytes]:
    """Send ``head`` (request line and headers, as latin-1 bytes) and read the whole answer (the server
    closes the connection after refusing a malformed request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode("latin-1") + b"\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return status.encode(), headers, body


@pytest.mark.asyncio
@pytest.mark.parametrize("junk", [
    "x-ignored: Local\x01Peer",  # the control character a client sent in its ignored list
    "If-None-Match: \x7f123",
    "x_ignored: a\x00b",
    "x-api-key: sk\x1b[31m",
    "x-ignored: a\r\n folded continuation",  # obsolete line folding
])
async def test_a_header_tornado_refuses_is_a_json_400(
    server_url: str, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str], junk: str
) -> None:
    auth = "".join(f"{name}: {value}\r\n" for name, value in jp_auth_header.items())
    head = f"GET {jp_base_url}{V2}/chat/some-share HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{junk}\r\n"
    status, headers, body = await raw_request(jp_http_port, head)
    assert status.startswith(b"HTTP/1.1 400"), status
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    assert "malformed HTTP request" in json.loads(body)["error"]["message"]


@pytest.mark.asyncio
async def test_a_bad_request_line_or_host_is_a_json_400(server_url: str, jp_http_port: int, jp_base_url: str) -> None:
    for head in (f"GET {jp_base_url}{V2}/version HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n",
                 f"GET {jp_base_url}{V2}/version HTTP/1.1\r\nHost: bad host\r\n"):
        status, _, body = await raw_request(jp_http_port, head)
        assert status.startswith(b"HTTP/1.1 400") and json.loads(body)["error"]["message"], head


@pytest.mark.asyncio
async def test_paths_a_client_makes_of_dot_segments_answer_json(
    server_url: str, jp_auth_header: dict[str, str]
) -> None:
    sent = {
        f"{V2}/chat/..": "/backend-api/v2",  # a share id of ".."
        f"{V2}/files/..": "/backend-api/v2",  # a bucket id of ".."
        f"{V2}/files/x/..": "/backend-api/v2/files",
        f"{V2}/chat/.": "/backend-api/v2/chat",
        "media/x/..": "/media",  # a media name
        "search/x/..": "/search",
        "files/b/media/x/..": "/files/b/media",
    }
    async with httpx.AsyncClient(base_url=server_url, headers=jp_auth_header) as client:
        for path, resolved in sent.items():
            for method in ("GET", "POST", "DELETE"):
                response = await client.request(method, path)
                assert response.request.url.path.endswith(resolved), (path, response.request.url)
                assert 400 <= response.status_code < 500, (path, method, response.status_code)
                assert response.headers["content-type"].startswith("application/json"), (path, method)
                error: Any = response.json()["error"]
                assert error["message"], (path, method)
