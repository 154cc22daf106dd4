"""Bucket test fixtures: plain HTTP to the running pytest-jupyter server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from bucket_docs import multipart
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

Fetch = Callable[..., Awaitable[HTTPResponse]]


@pytest.fixture
def jp_asyncio_loop(_function_scoped_runner: Any) -> asyncio.AbstractEventLoop:
    """Serve in the loop pytest-asyncio runs the test in (else every request times out)."""
    return _function_scoped_runner.get_loop()


@pytest.fixture
def fetch(jp_serverapp: Any, http_server_client: Any, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]) -> Fetch:
    """Fetch ``<server><base_url><path>`` exactly as written (already URL-encoded), never raising for a status."""

    async def _fetch(path: str, method: str = "GET", body: bytes | None = None, **kwargs: Any) -> HTTPResponse:
        headers = {**jp_auth_header, **(kwargs.pop("headers", None) or {})}
        if body is None and method in ("POST", "PUT"):
            body = b""
        return await AsyncHTTPClient().fetch(
            f"http://127.0.0.1:{jp_http_port}{jp_base_url}{path}", method=method, body=body, headers=headers,
            raise_error=False, follow_redirects=False, request_timeout=kwargs.pop("request_timeout", 60), **kwargs,
        )

    return _fetch


@pytest.fixture
def upload(fetch: Fetch) -> Callable[..., Awaitable[HTTPResponse]]:
    """POST files to ``backend-api/v2/files/<bucket>`` as multipart (repeated ``files`` field)."""

    async def _upload(bucket: str, files: list[tuple[str, bytes]]) -> HTTPResponse:
        body, ctype = multipart(files)
        return await fetch(f"backend-api/v2/files/{bucket}", method="POST", body=body, headers={"Content-Type": ctype})

    return _upload
