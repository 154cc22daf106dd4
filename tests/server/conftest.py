"""Fixtures for the route tests: plain HTTP access to the running test server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse


@pytest.fixture
def server_url(jp_serverapp: Any, http_server_client: Any, jp_http_port: int, jp_base_url: str) -> str:
    """``http://127.0.0.1:<port><base_url>`` of the test server (``http_server_client`` starts it listening)."""
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def raw_fetch(server_url: str, jp_auth_header: dict[str, str]) -> Callable[..., Awaitable[HTTPResponse]]:
    """Fetch ``server_url + path`` exactly as written (no escaping), never raising for a status.

    ``auth=False`` sends no credentials; ``body`` may be a dict (sent as JSON).
    """

    async def fetch(path: str, method: str = "GET", body: Any = None, auth: bool = True, **kwargs: Any) -> HTTPResponse:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers.update(jp_auth_header)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        return await AsyncHTTPClient().fetch(
            server_url + path, method=method, body=body, headers=headers, raise_error=False,
            follow_redirects=False, request_timeout=kwargs.pop("request_timeout", 60), **kwargs,
        )

    return fetch


@pytest.fixture
def error_message() -> Callable[[HTTPResponse], str]:
    """The ``{"error": {"message"}}`` text of an error answer (fails the test if the shape is wrong)."""

    def message(response: HTTPResponse) -> str:
        assert response.headers["Content-Type"].startswith("application/json")
        return json.loads(response.body)["error"]["message"]

    return message
