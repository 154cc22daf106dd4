"""The hub's shares service serves the same chat bundle as a user's server draws its shared view
with: the shared view's files only (no chat page script, no way out of the folder), to any visitor,
since they hold no data. Runs the service's real Tornado app on loopback (no hub needed for files)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

from g4f_jupyter.hub.shares_service import make_app

PREFIX = "/services/g4f-shares/"


@pytest_asyncio.fixture
async def service(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "not-used-for-files")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = HTTPServer(make_app(PREFIX))
    server.listen(port, "127.0.0.1")
    yield f"http://127.0.0.1:{port}{PREFIX}"
    server.stop()


async def get(url: str) -> Any:
    return await AsyncHTTPClient().fetch(url, raise_error=False, follow_redirects=False)


@pytest.mark.asyncio
async def test_the_shares_service_serves_the_shared_view_bundle_to_anyone(service: str) -> None:
    script = await get(service + "static/share.js")
    assert script.code == 200 and "javascript" in script.headers["Content-Type"]
    assert script.body.startswith(b"/*! g4f-jupyter chat front-end")
    for path, kind in [("static/chat.css", "text/css"), ("static/fonts/KaTeX_Main-Regular.woff2", "font/woff2"),
                       ("static/THIRD-PARTY-LICENSES.txt", "text/plain")]:
        response = await get(service + path)
        assert response.code == 200 and response.headers["Content-Type"].startswith(kind), path


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["static/chat.js", "static/..%2F..%2Fpages.py", "static/.hidden.js", "static/x.html"])
async def test_nothing_else_is_served_from_there(service: str, path: str) -> None:
    response = await get(service + path)
    assert response.code in (403, 404)
    assert response.headers["Content-Type"] == "application/json"
