"""Reading a bucket: run download jobs, extract the listed sources, stream text with progress.

The extracted text is streamed as it is produced and teed into the next ``plain.cache``
(:mod:`.cache`), which replaces the old one only when the read completes; an interrupted
read leaves the previous cache and ``files.txt`` untouched. Blocking parsers run one
step at a time in a worker thread, so neither the server's event loop nor a kernel's
ever waits on a PDF. A source re-uploaded while the read runs is read again (or left
listed for the next read), never lost (:mod:`.pending`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterator
from typing import TypeVar, cast

from .archive import ArchiveGuard
from .cache import CacheWriter, replay
from .downloads import run_jobs
from .layout import Bucket, existing_bucket
from .limits import ReadBudget
from .locks import read_lock
from .meter import LOAD_EVERY, Meter
from .names import classify
from .pending import Signature, open_source, settle, signature, unread
from .progress import Done, FilesDeleted, MediaFound, ReadFailed, ReadItem, Refined, TextChunk
from .refine import UNAVAILABLE as REFINE_UNAVAILABLE
from .refine import refine_available, refine_bucket
from .steps import Begin, End, Failed, MediaSaved, Step, Text, source_steps

__all__ = ["ingest"]

log = logging.getLogger(__name__)

READ_BLOCK = 64 * 1024  # text is handed to the client in pieces of about this size
MAX_ROUNDS = 3  # re-uploads during a read are read again this many times, then left for the next read

T = TypeVar("T")


_END = object()


async def _in_thread(gen: Iterator[T]) -> AsyncGenerator[T, None]:
    """Items of a blocking iterator, each produced in a worker thread."""
    try:
        while (item := await asyncio.to_thread(next, gen, _END)) is not _END:
            yield cast(T, item)
    finally:
        close = getattr(gen, "close", None)
        if close:
            close()


class _Chunker:
    """Gathers small text pieces into chunks of about READ_BLOCK; slices large ones with progress."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.buffer: list[str] = []
        self.buffered = 0  # bytes in buffer

    def add(self, text: str, nbytes: int) -> Iterator[ReadItem]:
        self.buffer.append(text)
        self.buffered += nbytes
        if self.buffered >= READ_BLOCK:
            yield from self.flush()

    def flush(self) -> Iterator[ReadItem]:
        if not self.buffer:
            return
        text, nbytes, self.buffer, self.buffered = "".join(self.buffer), self.buffered, [], 0
        if len(text) <= LOAD_EVERY:
            yield TextChunk(text)
            if self.meter.add(nbytes):
                yield self.meter.load()
            return
        for start in range(0, len(text), LOAD_EVERY):
            piece = text[start : start + LOAD_EVERY]
            yield TextChunk(piece)
            self.meter.add(len(piece.encode("utf-8")))
            yield self.meter.load()


def _fence(step: Step) -> str:
    """The text a step adds to the bucket's text (era A wraps each file in a fence named after it)."""
    if isinstance(step, Begin):
        return f"```{step.name}\n"
    if isinstance(step, End):
        return "\n```\n\n"
    if isinstance(step, Failed):
        return f"[error: could not read {step.name}: {step.reason}]\n"
    return step.text if isinstance(step, Text) else ""


async def _read_source(
    bucket: Bucket, name: str, writer: CacheWriter, meter: Meter, guard: ArchiveGuard, read: dict[str, Signature]
) -> AsyncGenerator[ReadItem, None]:
    """One source, wrapped as era A does: a fenced block named after it, teed into the cache."""
    chunker = _Chunker(meter)
    source, read[name] = await asyncio.to_thread(open_source, bucket, name)
    try:
        async with contextlib.aclosing(_in_thread(source_steps(bucket, name, source, guard))) as steps:
            async for step in steps:
                if isinstance(step, MediaSaved):
                    yield MediaFound(step.name)
                    continue
                if isinstance(step, Failed):
                    yield ReadFailed(f"{step.name}: {step.reason}")
                if isinstance(step, Begin):
                    writer.begin()
                text = _fence(step)
                nbytes = writer.write(text)
                if isinstance(step, End):
                    writer.end(step.name)
                for item in chunker.add(text, nbytes):
                    yield item
    finally:
        if source is not None:
            source.close()
    for item in chunker.flush():
        yield item
    if chunker.meter.reported != chunker.meter.size:  # at least one "load" per file
        yield chunker.meter.load()


async def _read_round(
    bucket: Bucket, names: list[str], meter: Meter, guard: ArchiveGuard, read: dict[str, Signature]
) -> AsyncGenerator[ReadItem, None]:
    """Read ``names`` into a new cache (their old sections replaced), committed when all are read."""
    writer = await asyncio.to_thread(CacheWriter, bucket, frozenset(names))
    try:
        for name in names:
            if classify(name) != "document":  # media are never sources: nothing to read
                read[name] = await asyncio.to_thread(signature, bucket.source(name))
                continue
            async with contextlib.aclosing(_read_source(bucket, name, writer, meter, guard, read)) as items:
                async for item in items:
                    yield item
        await asyncio.to_thread(writer.commit)
    except BaseException:
        writer.discard()
        raise


async def ingest(
    bucket_id: str,
    delete_files: bool = True,
    refine: bool = False,
    *,
    allow_private: bool = False,
) -> AsyncGenerator[ReadItem, None]:
    """The bucket's text as :class:`TextChunk` pieces, with progress events between.

    Raises :class:`NotFoundError`/:class:`BadRequestError` at the first step for a missing
    or invalid bucket (so an HTTP handler can still answer 404/400). Otherwise failures are
    :class:`ReadFailed` events: per file (and the read goes on) or fatal (last).
    ``allow_private`` lets download jobs reach private addresses (an operator setting).
    """
    bucket = existing_bucket(bucket_id)
    if refine and not refine_available():
        yield ReadFailed(REFINE_UNAVAILABLE)
        return
    async with read_lock(bucket):
        try:
            async with contextlib.aclosing(_read(bucket, delete_files, allow_private)) as items:
                async for item in items:
                    if refine and isinstance(item, (FilesDeleted, Done)) and bucket.cache.is_file():
                        refine = False  # once, after the text is read and before the cleanup
                        async with contextlib.aclosing(_in_thread(refine_bucket(bucket))) as sizes:
                            async for size in sizes:
                                yield Refined(size)
                    yield item
        except Exception as exc:  # a fatal failure is the last event, never a crash
            log.exception("reading bucket %s failed", bucket.id)
            yield ReadFailed(f"reading the bucket failed: {type(exc).__name__}: {exc}")


async def _read(bucket: Bucket, delete_files: bool, allow_private: bool) -> AsyncGenerator[ReadItem, None]:
    async for event in run_jobs(bucket, allow_private):
        yield event
    read: dict[str, Signature] = {}
    names = await asyncio.to_thread(unread, bucket, read)
    meter = Meter()
    existing = 0
    if bucket.cache.is_file():
        async with contextlib.aclosing(_in_thread(replay(bucket, frozenset(names)))) as blocks:
            async for block in blocks:
                yield TextChunk(block)
                meter.add(len(block.encode("utf-8")))
                yield meter.load()
        existing = meter.size
    guard = ArchiveGuard(ReadBudget.for_bucket(existing))
    for _ in range(MAX_ROUNDS):
        if names:
            async with contextlib.aclosing(_read_round(bucket, names, meter, guard, read)) as items:
                async for item in items:
                    yield item
        if not await asyncio.to_thread(settle, bucket, read, delete_files):  # waits on the index lock
            break
        names = await asyncio.to_thread(unread, bucket, read)
    if delete_files:
        yield FilesDeleted()
    yield Done(meter.size)
