"""Reading a bucket: run download jobs, extract pending files, stream text with progress.

The extracted text is streamed as it is produced and teed into a temporary file that
becomes ``plain.cache`` only when the read completes, so a later read (or a chat) replays
it; an interrupted read leaves the previous cache and ``files.txt`` untouched. Blocking
parsers run one step at a time in a worker thread, so neither the server's event loop
nor a kernel's ever waits on a PDF.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ...errors import BadRequestError
from ...store.atomic import atomic_write_bytes
from .archive import UnsafeArchive, walk_zip
from .downloads import run_jobs
from .extract import extract
from .store import Bucket, classify, clean_filename, existing_bucket, extension

__all__ = ["TextChunk", "Progress", "ingest"]

log = logging.getLogger(__name__)

READ_BLOCK = 64 * 1024  # text is handed to the client in pieces of about this size
LOAD_EVERY = 1024 * 1024  # a "load" progress event at least this often (bytes of text)


@dataclass(frozen=True)
class TextChunk:
    """A piece of the bucket's text, in order."""

    text: str


@dataclass(frozen=True)
class Progress:
    """One progress event; ``data`` is exactly the SSE payload of protocol §4.3."""

    data: dict[str, Any]


_Item = TextChunk | Progress
# Steps of reading one source, produced in a worker thread.
Step = tuple[str, str] | tuple[str, str, str]


def _document(display: str, source: BinaryIO) -> Iterator[Step]:
    yield ("begin", display)
    try:
        for piece in extract(display, source):
            yield ("text", piece)
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes an entry for this file only
        yield from _failure(display, f"{type(exc).__name__}: {exc}", opened=True)
    yield ("end", display)


def _failure(display: str, reason: str, opened: bool = False) -> Iterator[Step]:
    """An error entry: in the text (inside the file's block) and as a progress error."""
    if not opened:
        yield ("begin", display)
    yield ("text", f"[error: could not read {display}: {reason}]\n")
    yield ("error", display, reason)
    if not opened:
        yield ("end", display)


def _save_media(bucket: Bucket, display: str, data: bytes) -> Iterator[Step]:
    """A media member of an archive goes to ``media/``, like an uploaded one."""
    try:
        name = clean_filename(display.rsplit("/", 1)[-1])
    except BadRequestError:
        yield from _failure(display, "invalid file name")
        return
    atomic_write_bytes(bucket.media / name, data)
    yield ("media", name)


def _source_steps(bucket: Bucket, name: str) -> Iterator[Step]:
    path = bucket.dir / name
    if not path.is_file():
        yield from _failure(name, "file not found")
        return
    with path.open("rb") as fh:
        if extension(name) != "zip":
            yield from _document(name, fh)
            return
        try:
            for member in walk_zip(name, fh):
                if member.kind == "error":
                    yield from _failure(member.name, member.reason)
                elif member.kind == "media":
                    yield from _save_media(bucket, member.name, member.data)
                else:
                    yield from _document(member.name, io.BytesIO(member.data))
        except UnsafeArchive as exc:
            yield from _failure(name, f"archive refused: {exc}")


class _CacheWriter:
    """The next ``plain.cache`` (a temp file in the bucket) and its per-file sections."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        fd, tmp = tempfile.mkstemp(prefix=".plain.", suffix=".tmp", dir=bucket.dir)
        self.path = Path(tmp)
        self.file = os.fdopen(fd, "wb")
        self.sections: list[tuple[str, int, int]] = []
        self.offset = 0
        self.start = 0
        if bucket.cache.is_file():
            self.sections = bucket.sections()
            with bucket.cache.open("rb") as old:
                shutil.copyfileobj(old, self.file)
            self.offset = self.file.tell()

    def write(self, text: str) -> int:
        """Append ``text``; returns its size in bytes."""
        written = self.file.write(text.encode("utf-8"))
        self.offset += written
        return written

    def begin(self) -> None:
        self.start = self.offset

    def end(self, name: str) -> None:
        self.sections.append((name, self.start, self.offset))

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.path, self.bucket.cache)
        self.bucket.write_index(self.sections, self.offset)

    def discard(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


class _Meter:
    """Counts streamed bytes and says when a ``load`` event is due."""

    def __init__(self) -> None:
        self.size = 0
        self.reported = 0

    def add(self, nbytes: int) -> bool:
        self.size += nbytes
        return self.size - self.reported >= LOAD_EVERY

    def load(self) -> Progress:
        self.reported = self.size
        return Progress({"action": "load", "size": self.size})


def _replay(bucket: Bucket) -> Iterator[str]:
    with bucket.cache.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        while block := fh.read(LOAD_EVERY):
            yield block


async def _steps(gen: Iterator[Any]) -> AsyncGenerator[Any, None]:
    """Items of a blocking iterator, each produced in a worker thread."""
    try:
        while (item := await asyncio.to_thread(next, gen, None)) is not None:
            yield item
    finally:
        close = getattr(gen, "close", None)
        if close:
            close()


async def _read_source(bucket: Bucket, name: str, writer: _CacheWriter, meter: _Meter) -> AsyncGenerator[_Item, None]:
    """One uploaded source, wrapped per file as era A does: a fenced block named after it.

    Small pieces are gathered into chunks of about READ_BLOCK characters; a large piece
    (a whole DOCX) goes out in slices of at most LOAD_EVERY, each followed by its progress.
    """
    buffer: list[str] = []
    buffered = 0  # bytes in buffer

    def take() -> Iterator[_Item]:
        nonlocal buffer, buffered
        text, nbytes, buffer, buffered = "".join(buffer), buffered, [], 0
        if len(text) <= LOAD_EVERY:
            yield TextChunk(text)
            if meter.add(nbytes):
                yield meter.load()
            return
        for start in range(0, len(text), LOAD_EVERY):
            piece = text[start : start + LOAD_EVERY]
            yield TextChunk(piece)
            meter.add(len(piece.encode("utf-8")))
            yield meter.load()

    async with contextlib.aclosing(_steps(_source_steps(bucket, name))) as steps:
        async for step in steps:
            kind = step[0]
            if kind == "error":
                yield Progress({"error": {"message": f"{step[1]}: {step[2]}"}})
                continue
            if kind == "media":
                yield Progress({"action": "media", "filename": step[1]})
                continue
            text = {"begin": f"```{step[1]}\n", "end": "\n```\n\n"}.get(kind, step[1])
            if kind == "begin":
                writer.begin()
            buffered += writer.write(text)
            if kind == "end":
                writer.end(step[1])
            buffer.append(text)
            if buffered >= READ_BLOCK:
                for item in take():
                    yield item
    if buffer:
        for item in take():
            yield item
    if meter.reported != meter.size:
        yield meter.load()


async def _read_pending(
    bucket: Bucket, pending: list[str], writer: _CacheWriter, meter: _Meter
) -> AsyncGenerator[_Item, None]:
    for name in pending:
        if classify(name) == "media":
            yield Progress({"action": "media", "filename": name})
            continue
        async with contextlib.aclosing(_read_source(bucket, name, writer, meter)) as items:
            async for item in items:
                yield item


def _delete_sources(bucket: Bucket, names: list[str]) -> None:
    for name in names:
        if classify(name) == "document":
            (bucket.dir / name).unlink(missing_ok=True)


async def ingest(
    bucket_id: str,
    delete_files: bool = True,
    refine: bool = False,
    *,
    allow_private: bool = False,
) -> AsyncGenerator[_Item, None]:
    """The bucket's text as :class:`TextChunk` pieces, with :class:`Progress` events between.

    Raises :class:`NotFoundError`/:class:`BadRequestError` at the first step for a missing
    or invalid bucket (so an HTTP handler can still answer 404/400). Otherwise failures are
    ``Progress({"error": ...})`` events: per file (and the read goes on) or fatal (last).
    ``allow_private`` lets download jobs reach private addresses (an operator setting).
    """
    bucket = existing_bucket(bucket_id)
    if refine:
        yield Progress({"error": {"message": "refine_chunks_with_spacy is not available: spaCy is not installed "
                                              "(chats rank the bucket's chunks by relevance instead)"}})
        return
    async with bucket.reading():
        try:
            async with contextlib.aclosing(_read(bucket, delete_files, allow_private)) as items:
                async for item in items:
                    yield item
        except Exception as exc:  # noqa: BLE001 - a fatal failure is the last event, never a crash
            log.exception("reading bucket %s failed", bucket.id)
            yield Progress({"error": {"message": f"reading the bucket failed: {type(exc).__name__}: {exc}"}})


async def _read(bucket: Bucket, delete_files: bool, allow_private: bool) -> AsyncGenerator[_Item, None]:
    async for event in run_jobs(bucket, allow_private):
        yield Progress(event)
    pending = bucket.pending()
    meter = _Meter()
    if bucket.cache.is_file():
        async for block in _steps(_replay(bucket)):
            yield TextChunk(block)
            meter.add(len(block.encode("utf-8")))
            yield meter.load()
    if pending:
        writer = await asyncio.to_thread(_CacheWriter, bucket)
        try:
            async with contextlib.aclosing(_read_pending(bucket, pending, writer, meter)) as items:
                async for item in items:
                    yield item
            await asyncio.to_thread(writer.commit)
        except BaseException:
            writer.discard()
            raise
        await asyncio.to_thread(bucket.remove_pending, pending)  # waits on the index lock
    if delete_files:
        _delete_sources(bucket, pending)
        yield Progress({"action": "delete_files"})
    yield Progress({"action": "done", "size": meter.size})
