"""Reading one source into typed steps: blocking code, run a step at a time in a worker thread.

A source yields ``Begin``, its ``Text`` pieces, at most one ``Failed``, and ``End`` — or,
for a zip, that sequence per member and a ``MediaSaved`` per media member. Every piece
of text and every saved media file is charged to the read's budget.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from ...errors import BadRequestError
from ...store.atomic import atomic_write_bytes
from .archive import ArchiveGuard, UnsafeArchive
from .extract import extract
from .layout import Bucket
from .limits import BudgetExhausted
from .names import clean_filename, extension

__all__ = ["Begin", "End", "Failed", "MediaSaved", "Step", "Text", "source_steps"]


@dataclass(frozen=True)
class Begin:
    name: str


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Failed:
    """The file (or member) ``name`` could not be read, or not wholly; ``reason`` says why."""

    name: str
    reason: str


@dataclass(frozen=True)
class End:
    name: str


@dataclass(frozen=True)
class MediaSaved:
    name: str


Step = Begin | Text | Failed | End | MediaSaved


def _failure(name: str, reason: str) -> Iterator[Step]:
    yield Begin(name)
    yield Failed(name, reason)
    yield End(name)


def _document(name: str, source: IO[bytes], guard: ArchiveGuard) -> Iterator[Step]:
    yield Begin(name)
    try:
        for piece in extract(name, source, guard):
            guard.budget.charge(len(piece.encode("utf-8")), name)
            yield Text(piece)
    except UnsafeArchive as exc:
        yield Failed(name, f"archive refused: {exc}")
    except BudgetExhausted as exc:
        yield Failed(name, str(exc))
    except Exception as exc:  # any parser failure becomes an entry for this file only
        yield Failed(name, f"{type(exc).__name__}: {exc}")
    yield End(name)


def _save_media(bucket: Bucket, display: str, data: bytes, guard: ArchiveGuard) -> Iterator[Step]:
    """A media member of an archive goes to ``media/``, like an uploaded one."""
    try:
        name = clean_filename(display.rsplit("/", 1)[-1])
        guard.budget.charge(len(data), display)
    except BadRequestError:
        yield from _failure(display, "invalid file name")
        return
    except BudgetExhausted as exc:
        yield from _failure(display, str(exc))
        return
    atomic_write_bytes(bucket.media / name, data)
    yield MediaSaved(name)


def _archive(bucket: Bucket, name: str, source: BinaryIO, guard: ArchiveGuard) -> Iterator[Step]:
    try:
        for member in guard.walk(name, source):
            if member.kind == "error":
                yield from _failure(member.name, member.reason)
            elif member.kind == "media":
                yield from _save_media(bucket, member.name, member.data, guard)
            else:
                yield from _document(member.name, member.stream or io.BytesIO(member.data), guard)
    except UnsafeArchive as exc:
        yield from _failure(name, f"archive refused: {exc}")
    except BudgetExhausted as exc:
        yield from _failure(name, str(exc))


def source_steps(bucket: Bucket, name: str, source: BinaryIO | None, guard: ArchiveGuard) -> Iterator[Step]:
    """The steps of one uploaded source, opened by the caller (``None`` when it is missing)."""
    if source is None:
        yield from _failure(name, "file not found")
    elif guard.budget.remaining <= 0:
        yield from _failure(name, f"skipped: the read reached the bucket limit of {guard.budget.total} bytes")
    elif extension(name) == "zip":
        yield from _archive(bucket, name, source, guard)
    else:
        yield from _document(name, source, guard)
