"""Bucket routes: upload, read (text or SSE progress), delete, and serve bucket media.

Thin handlers over :mod:`g4f_jupyter.service.buckets`; every method needs Jupyter
credentials. The read streams text as it is extracted and flushes per piece.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..errors import NotFoundError
from ..service.buckets import Progress, TextChunk, delete_bucket, ingest, upload_files
from ..service.buckets.store import media_path
from ..service.query import parse_bool
from .base import G4FAPIHandler

__all__ = ["ROUTES"]

_Item = TextChunk | Progress


class _ReadHandler(G4FAPIHandler):
    """The streaming read of a bucket: text/plain, or SSE progress events."""

    always_sse = False

    def _wants_sse(self) -> bool:
        return self.always_sse or "text/event-stream" in self.request.headers.get("Accept", "")

    async def _send(self, stream: AsyncGenerator[_Item, None], first: _Item | None, sse: bool) -> None:
        item = first
        try:
            while item is not None:
                # SSE carries progress only, text/plain only the text (upstream leaked a media event into it).
                if isinstance(item, Progress) and sse:
                    self.write(_sse(item.data))
                    await self.flush()
                elif isinstance(item, TextChunk) and not sse:
                    self.write(item.text)
                    await self.flush()
                item = await anext(stream, None)
        except StreamClosedError:
            pass
        finally:
            await stream.aclose()

    @web.authenticated
    @authorized
    async def get(self, bucket_id: str) -> None:
        sse = self._wants_sse()
        stream = ingest(
            bucket_id,
            delete_files=parse_bool(self.get_query_argument("delete_files", None), default=True),
            refine=parse_bool(self.get_query_argument("refine_chunks_with_spacy", None), default=False),
            allow_private=self.g4f.allow_private_downloads,
        )
        try:
            first = await anext(stream, None)  # a missing or invalid bucket raises here: a JSON 404/400
        except BaseException:
            await stream.aclose()
            raise
        kind = "text/event-stream" if sse else "text/plain; charset=utf-8"
        self.start_stream(kind)
        await self.pump(self._send(stream, first, sse), kind)


class BucketHandler(_ReadHandler):
    """``backend-api/v2/files/<bucket_id>``: GET reads, POST uploads, DELETE removes."""

    @web.authenticated
    @authorized
    async def post(self, bucket_id: str) -> None:
        self.check_body_size()
        files = [(f.filename, f.body) for f in self.request.files.get("files", [])]
        self.write_json(await asyncio.to_thread(upload_files, bucket_id, files, self.g4f.upload_limits()))

    @web.authenticated
    @authorized
    async def delete(self, bucket_id: str) -> None:
        await asyncio.to_thread(delete_bucket, bucket_id)
        self.write_json({"message": "Bucket deleted successfully"})


class BucketStreamHandler(_ReadHandler):
    """``backend-api/v2/files/<bucket_id>/stream``: the read, always as SSE progress."""

    always_sse = True


class BucketMediaHandler(G4FAPIHandler):
    """``files/<bucket_id>/media/<filename>``; a missing file redirects to ``?url=`` if http(s)."""

    @web.authenticated
    @authorized
    async def get(self, bucket_id: str, filename: str) -> None:
        try:
            path = media_path(bucket_id, filename)
        except NotFoundError:
            source = self.get_query_argument("url", "")
            parts = urlsplit(source)
            if parts.scheme in ("http", "https") and parts.netloc:
                self.redirect(source)
                return
            raise
        await self.send_file(path)


def _sse(data: dict[str, Any]) -> str:
    """One unnamed SSE event, so ``EventSource.onmessage`` fires (protocol §4.3)."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


_FILES = "backend-api/v2/files"

ROUTES: list[tuple[str, type]] = [
    (rf"{_FILES}/([^/]+)", BucketHandler),
    (rf"{_FILES}/([^/]+)/stream", BucketStreamHandler),
    (r"files/([^/]+)/media/([^/]+)", BucketMediaHandler),
]
