"""Bucket test fixtures: plain HTTP to the running pytest-jupyter server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from forms import multipart
from tornado.httpclient import HTTPResponse

Fetch = Callable[..., Awaitable[HTTPResponse]]


@pytest.fixture
def fetch(raw_fetch: Fetch) -> Fetch:
    """The suite's ``raw_fetch``: ``<server><base_url><path>`` as written, never raising for a status."""
    return raw_fetch


@pytest.fixture
def upload(fetch: Fetch) -> Callable[..., Awaitable[HTTPResponse]]:
    """POST files to ``backend-api/v2/files/<bucket>`` as multipart (repeated ``files`` field)."""

    async def _upload(bucket: str, files: list[tuple[str, bytes]]) -> HTTPResponse:
        body, headers = multipart([("files", name, data) for name, data in files])
        return await fetch(f"backend-api/v2/files/{bucket}", method="POST", body=body, headers=headers)

    return _upload
