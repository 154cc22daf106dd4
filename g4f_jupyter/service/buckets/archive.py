"""The archive guard: every zip-based container is checked as a whole before a member is inflated.

Zip uploads, and the documents that are zip files inside (docx, xlsx, odt, epub …, whose
parsers open the zip themselves), pass through :class:`ArchiveGuard` first: too many
entries, a member or a total too large, a compression ratio no real document has, or
more than the read may still produce, and the container is refused unopened. A header
cannot lie its way past this: zipfile never inflates a member beyond its declared size.
Zip members are read in memory, so nothing can land outside the bucket; hostile names
(``../``, absolute, drive letters) are refused one by one.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Literal

from .limits import ArchiveLimits, ReadBudget
from .names import STREAMED_EXTENSIONS, classify, extension

__all__ = ["ArchiveGuard", "Member", "UnsafeArchive"]


class UnsafeArchive(ValueError):
    """The archive as a whole is refused (bomb, corrupt, too deep)."""


@dataclass(frozen=True)
class Member:
    """A document, a media file, or a refused member (``reason`` set).

    A text or HTML document comes as ``stream``, inflated as it is read (open until the walk
    moves on); other members as ``data``, within the per-member limit.
    """

    kind: Literal["document", "media", "error"]
    name: str  # display name: "<archive>/<member path>"
    data: bytes = b""
    reason: str = ""
    stream: IO[bytes] | None = None


def _hostile(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts or "\0" in name


class ArchiveGuard:
    """Checks and walks the zip containers of one read, against that read's budget."""

    def __init__(self, budget: ReadBudget, limits: ArchiveLimits | None = None) -> None:
        self.budget = budget
        self.limits = limits or ArchiveLimits()

    def _check(self, name: str, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        limits = self.limits
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_entries:
            raise UnsafeArchive(f"{len(infos)} entries, over the limit of {limits.max_entries}")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos)
        if total > limits.max_total_bytes:
            raise UnsafeArchive(f"{total} bytes uncompressed, over the limit of {limits.max_total_bytes}")
        for info in infos:
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise UnsafeArchive(f"{info.filename!r} expands {ratio}x (zip bomb?)")
            if info.file_size > limits.max_member_bytes:
                raise UnsafeArchive(f"{info.filename!r} is {info.file_size} bytes uncompressed, "
                                    f"over the limit of {limits.max_member_bytes}")
        if total > limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
            raise UnsafeArchive(f"the archive expands {total // max(packed, 1)}x (zip bomb?)")
        self.budget.check(total, name)
        return infos

    def open(self, name: str, source: IO[bytes]) -> zipfile.ZipFile:
        """The container ``name``, opened and checked; :class:`UnsafeArchive` if refused."""
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise UnsafeArchive(f"not a readable zip file: {exc}") from None
        try:
            self._check(name, archive)
        except BaseException:
            archive.close()
            raise
        return archive

    def check_container(self, name: str, source: IO[bytes]) -> None:
        """Check a document that is a zip inside, before its own parser opens it."""
        self.open(name, source).close()
        source.seek(0)

    def walk(self, name: str, source: IO[bytes], _depth: int = 0) -> Iterator[Member]:
        """Supported members of the archive ``name`` (nested archives walked too).

        Raises :class:`UnsafeArchive` for an archive refused as a whole, and
        :class:`~.limits.BudgetExhausted` when it cannot fit in what the read may still produce.
        """
        if _depth >= self.limits.max_depth:
            raise UnsafeArchive(f"archives nested deeper than {self.limits.max_depth}")
        with self.open(name, source) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                display = f"{name}/{info.filename}"
                if _hostile(info.filename):
                    yield Member("error", display, reason="unsafe member name refused")
                    continue
                kind = classify(info.filename.rsplit("/", 1)[-1])
                if kind is None:
                    continue
                if kind == "document" and extension(info.filename) in STREAMED_EXTENSIONS:
                    with archive.open(info) as stream:
                        yield Member("document", display, stream=stream)
                    continue
                try:
                    with archive.open(info) as fh:
                        data = fh.read()  # zipfile stops at the declared size and checks the CRC
                except (RuntimeError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                    yield Member("error", display, reason=f"unreadable member: {exc}")
                    continue
                if extension(info.filename) == "zip":
                    try:
                        yield from self.walk(display, io.BytesIO(data), _depth + 1)
                    except UnsafeArchive as exc:
                        yield Member("error", display, reason=str(exc))
                else:
                    yield Member("media" if kind == "media" else "document", display, data)
