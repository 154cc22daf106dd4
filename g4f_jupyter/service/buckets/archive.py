"""Walking a ``.zip`` upload safely, without unpacking it to disk.

Members are read in memory, so nothing can land outside the bucket; hostile names
(``../``, absolute, drive letters) are refused one by one, and zip bombs are refused as a
whole before any member is inflated: too many entries, too much declared uncompressed
data, or a compression ratio no real document has. A header cannot lie its way past
this: zipfile never inflates a member beyond its declared size.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from .store import classify, extension

__all__ = ["ZipLimits", "UnsafeArchive", "Member", "walk_zip"]


@dataclass(frozen=True)
class ZipLimits:
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 100.0
    max_entries: int = 2000
    max_depth: int = 3


class UnsafeArchive(ValueError):
    """The archive as a whole is refused (bomb, corrupt, too deep)."""


@dataclass(frozen=True)
class Member:
    """A document, a media file, or a refused member (``data`` empty, ``reason`` set)."""

    kind: Literal["document", "media", "error"]
    name: str  # display name: "<archive>/<member path>"
    data: bytes = b""
    reason: str = ""


def _hostile(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts or "\0" in name


def _check(archive: zipfile.ZipFile, limits: ZipLimits, budget: int) -> list[zipfile.ZipInfo]:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > limits.max_entries:
        raise UnsafeArchive(f"{len(infos)} entries, over the limit of {limits.max_entries}")
    total = sum(i.file_size for i in infos)
    if total > budget:
        raise UnsafeArchive(f"{total} bytes uncompressed, over the limit of {budget}")
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise UnsafeArchive(f"{info.filename!r} expands {ratio}x (zip bomb?)")
    return infos


def walk_zip(
    name: str,
    source: BinaryIO,
    limits: ZipLimits | None = None,
    _depth: int = 0,
    _budget: list[int] | None = None,
) -> Iterator[Member]:
    """Supported members of the archive ``name`` (nested archives walked too).

    Raises :class:`UnsafeArchive` for an archive refused as a whole.
    """
    limits = limits or ZipLimits()
    budget = _budget if _budget is not None else [limits.max_total_bytes]
    if _depth >= limits.max_depth:
        raise UnsafeArchive(f"archives nested deeper than {limits.max_depth}")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"not a readable zip file: {exc}") from None
    with archive:
        for info in _check(archive, limits, budget[0]):
            display = f"{name}/{info.filename}"
            if _hostile(info.filename):
                yield Member("error", display, reason="unsafe member name refused")
                continue
            kind = classify(info.filename.rsplit("/", 1)[-1])
            if kind is None:
                continue
            try:
                with archive.open(info) as fh:
                    data = fh.read()  # zipfile stops at the declared size and checks the CRC
            except (RuntimeError, zipfile.BadZipFile, zlib.error, EOFError) as exc:  # encrypted or corrupt
                yield Member("error", display, reason=f"unreadable member: {exc}")
                continue
            budget[0] -= len(data)
            if extension(info.filename) == "zip":
                try:
                    yield from walk_zip(display, io.BytesIO(data), limits, _depth + 1, budget)
                except UnsafeArchive as exc:
                    yield Member("error", display, reason=str(exc))
            else:
                yield Member(kind, display, data)
