"""Bucket routes (upload, read as text or SSE progress, delete) and the media routes.

Thin handlers over :mod:`g4f_jupyter.service.buckets` and :mod:`g4f_jupyter.service.media`;
every method needs Jupyter credentials. The read streams text as it is extracted and
flushes per piece; files are served by :mod:`.files` (HEAD, ETag, Range).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError

from ..errors import NotFoundError
from ..service import media
from ..service.buckets import (
    FilePart,
    Progress,
    ReadItem,
    TextChunk,
    delete_bucket,
    ingest,
    media_path,
    media_source_url,
    upload_files,
    validate_bucket_id,
)
from ..service.query import bool_or_text, parse_bool, parse_int
from .base import G4FAPIHandler
from .files import G4FFileHandler

__all__ = ["ROUTES"]


class _ReadHandler(G4FAPIHandler):
    """The streaming read of a bucket: text/plain, or SSE progress events."""

    always_sse = False

    def _wants_sse(self) -> bool:
        return self.always_sse or "text/event-stream" in self.request.headers.get("Accept", "")

    async def _send(self, stream: AsyncGenerator[ReadItem, None], first: ReadItem | None, sse: bool) -> None:
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
    """``backend-api/v2/files/<bucket_id>``: GET reads, POST uploads, DELETE removes.

    The upload's body streams to disk (refused by its Content-Length before that), and the
    service copies each file part from disk into the bucket: memory stays flat whatever the size.
    """

    @web.authenticated
    @authorized
    async def post(self, bucket_id: str) -> None:
        validate_bucket_id(bucket_id)
        form = await self.form()
        files: list[FilePart] = [(part.filename, part.path) for part in form.files_named("files")]
        self.write_json(await asyncio.to_thread(upload_files, bucket_id, files, self.g4f.upload_limits()))

    @web.authenticated
    @authorized
    async def delete(self, bucket_id: str) -> None:
        await asyncio.to_thread(delete_bucket, bucket_id)
        self.write_json({"message": "Bucket deleted successfully"})


class BucketStreamHandler(_ReadHandler):
    """``backend-api/v2/files/<bucket_id>/stream``: the read, always as SSE progress."""

    always_sse = True


class BucketMediaHandler(G4FFileHandler):
    """``files/<bucket_id>/(media|thumbnail)/<filename>``: a bucket's media file (thumbnail: the same file).

    A missing file redirects to ``?url=`` only when the bucket recorded that URL as one of
    its download sources; any other URL is a 404 (no open redirect).
    """

    async def _media(self, bucket_id: str, filename: str, include_body: bool) -> None:
        try:
            path = await asyncio.to_thread(media_path, bucket_id, filename)
        except NotFoundError:
            source = self.get_query_argument("url", "", strip=False)
            if not source:
                raise
            self.redirect(await asyncio.to_thread(media_source_url, bucket_id, source))
            return
        await self.serve(path, include_body)

    @web.authenticated
    @authorized
    async def get(self, bucket_id: str, filename: str) -> None:  # type: ignore[override]
        await self._media(bucket_id, filename, include_body=True)

    @web.authenticated
    @authorized
    async def head(self, bucket_id: str, filename: str) -> None:  # type: ignore[override]
        await self._media(bucket_id, filename, include_body=False)


class MediaHandler(G4FFileHandler):
    """``media/<name>`` (also ``images/``, ``thumbnail/``): a generated media file."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:  # type: ignore[override]
        await self.serve(await asyncio.to_thread(media.media_file, name))

    @web.authenticated
    @authorized
    async def head(self, name: str) -> None:  # type: ignore[override]
        await self.serve(await asyncio.to_thread(media.media_file, name), include_body=False)


class SearchHandler(G4FAPIHandler):
    """``search/<tags>``: a redirect to the generated media file matching the tags."""

    @web.authenticated
    @authorized
    async def get(self, tags: str) -> None:
        skip = parse_int(self.get_query_argument("skip", None), 0, "skip")
        least = self.get_query_argument("min", None)
        name = media.search_media(
            tags, skip, bool_or_text(self.get_query_argument("random", None)),
            None if least is None else parse_int(least, 0, "min"),
        )
        self.redirect(url_path_join(self.base_url, "media", quote(name)))


class NoNameHandler(G4FAPIHandler):
    """``media/``, ``search/`` or ``files/<bucket>/media/`` with nothing after it: a JSON 404.

    That is what a client that resolves ``..`` sends for ``media/x/..`` and the like; without
    this route Jupyter's own file handler or its HTML 404 page would answer.
    """

    def _missing(self) -> NotFoundError:
        return NotFoundError(f"no file or search words named in {self.request.path}")

    @web.authenticated
    @authorized
    async def get(self, *_: str) -> None:
        raise self._missing()

    @web.authenticated
    @authorized
    async def head(self, *_: str) -> None:
        raise self._missing()


def _sse(data: dict[str, Any]) -> str:
    """One unnamed SSE event, so ``EventSource.onmessage`` fires (protocol §4.3)."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


_FILES = "backend-api/v2/files"

ROUTES: list[tuple[str, type]] = [
    (rf"{_FILES}/([^/]+)", BucketHandler),
    (rf"{_FILES}/([^/]+)/stream", BucketStreamHandler),
    (r"files/([^/]+)/(?:media|thumbnail)/([^/]+)", BucketMediaHandler),
    (r"(?:media|images|thumbnail)/([^/]+)", MediaHandler),  # era A also says images/, the current client thumbnail/
    (r"search/([^/]+)", SearchHandler),
    (r"files/([^/]+)/(?:media|thumbnail)/?", NoNameHandler),
    (r"(?:media|images|thumbnail|search)/?", NoNameHandler),
]
