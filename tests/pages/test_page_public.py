"""With ``c.G4FSettings.public_shares = True`` the read-only shared chat needs no login."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient

from g4f_jupyter.service.shares import save_share

CHAT = {"id": "c", "title": "Public tea", "added": 1, "updated": 2, "items": [{"role": "user", "content": "hi <i>"}]}


@pytest.fixture
def jp_server_config() -> dict:
    return {"ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}}, "G4FSettings": {"public_shares": True}}


@pytest.fixture
def anonymous_get(http_server: Any, jp_http_port: int, jp_base_url: str) -> Any:
    """GET a path with no token, no cookie, no header: what a visitor's browser sends.

    ``http_server`` is pytest-jupyter's listening server for ``jp_serverapp``.
    """

    async def get(path: str) -> Any:
        url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}{path}"
        return await AsyncHTTPClient().fetch(url, raise_error=False, follow_redirects=False)

    return get


@pytest.mark.asyncio
async def test_public_share_page_needs_no_token(anonymous_get: Any) -> None:
    save_share("open-tea", CHAT)
    response = await anonymous_get("g4f/public/chat/open-tea")
    assert response.code == 200
    body = response.body.decode()
    assert "<h1>Public tea</h1>" in body and '"hi \\u003ci\\u003e"' in body


@pytest.mark.asyncio
async def test_public_page_still_validates_and_404s(anonymous_get: Any) -> None:
    bad = await anonymous_get("g4f/public/chat/..%2Fsecret")
    assert bad.code == 400 and "invalid share id" in json.loads(bad.body)["error"]["message"]
    missing = await anonymous_get("g4f/public/chat/nobody-shared-this")
    assert missing.code == 404 and b"does not exist" in missing.body


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    ["g4f/", "g4f/config", "g4f/chat/open-tea", "g4f/qrcode/open-tea", "g4f/static/chat.js", "g4f/static/share.js"],
)
async def test_everything_else_still_needs_login(anonymous_get: Any, path: str) -> None:
    save_share("open-tea", CHAT)
    response = await anonymous_get(path)
    assert response.code == 302 and "/login?next=" in response.headers["Location"]


@pytest.mark.asyncio
async def test_share_links_point_to_the_public_page(jp_fetch: Any, jp_base_url: str) -> None:
    page = (await jp_fetch("g4f/")).body.decode()
    config = json.loads(re.search(r'type="application/json">(.*?)</script>', page, re.S).group(1))
    assert config["share_prefix"].endswith(f"{jp_base_url}g4f/public/chat/")
    qr = (await jp_fetch("g4f/qrcode/open-tea")).body.decode()
    assert re.search(rf'href="http://127\.0\.0\.1:\d+{re.escape(jp_base_url)}g4f/public/chat/open-tea"', qr)


@pytest.mark.asyncio
async def test_public_view_loads_only_the_shared_view_bundle_without_login(
    anonymous_get: Any, jp_base_url: str
) -> None:
    save_share("open-tea", CHAT)
    page = (await anonymous_get("g4f/public/chat/open-tea")).body.decode()
    assert re.findall(r'<script src="([^"]+)" defer>', page) == [f"{jp_base_url}g4f/public/static/share.js"]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) == [f"{jp_base_url}g4f/public/static/chat.css"]
    for path in ["share.js", "chat.css", "fonts/KaTeX_Main-Regular.woff2", "THIRD-PARTY-LICENSES.txt"]:
        assert (await anonymous_get("g4f/public/static/" + path)).code == 200, path
    for private in ["g4f/public/static/chat.js", "g4f/public/static/config", "g4f/public/static/vendor/README.md"]:
        assert (await anonymous_get(private)).code == 404, private
    traversal = await anonymous_get("g4f/public/static/vendor/..%2F..%2Fpages.py")
    assert traversal.code == 403 and "message" in json.loads(traversal.body)["error"]
