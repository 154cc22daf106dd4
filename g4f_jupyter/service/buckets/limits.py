"""The limits a bucket holds to: per upload, per archive, and per read.

Upload limits are the operator's (:class:`UploadLimits`, from the settings). A read has
one :class:`ReadBudget` shared by every file and every archive it opens, so splitting a
bomb over several archives, or hiding media in them, buys nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ...errors import PayloadTooLargeError
from ..settings import UploadLimits, current_settings

__all__ = ["ArchiveLimits", "BudgetExhausted", "FilePart", "ReadBudget", "check_upload_limits", "part_size"]

FilePart = tuple[str, bytes | Path]
"""An uploaded file: its client-side name, and its bytes or the file on disk holding them."""

MiB = 1024 * 1024


def part_size(content: bytes | Path) -> int:
    return content.stat().st_size if isinstance(content, Path) else len(content)


def check_upload_limits(files: list[FilePart], limits: UploadLimits) -> None:
    """A 413 for too many files or one too large, before anything is written."""
    if len(files) > limits.max_files:
        raise PayloadTooLargeError(f"{len(files)} files in one upload, over the limit of {limits.max_files}")
    for name, content in files:
        size = part_size(content)
        if size > limits.max_file_bytes:
            raise PayloadTooLargeError(f"{name!r} is {size} bytes, over the limit of {limits.max_file_bytes}")


@dataclass(frozen=True)
class ArchiveLimits:
    """What one zip-based container (zip, docx, xlsx, odt, epub …) may hold.

    Text members are inflated as they are read; others (media, nested archives, PDFs,
    documents inside a zip) whole, so ``max_member_bytes`` bounds the memory one member
    can take. ``max_ratio`` refuses what no real document compresses to.
    """

    max_entries: int = 2000
    max_member_bytes: int = 32 * MiB
    max_total_bytes: int = 200 * MiB
    max_ratio: float = 100.0
    ratio_floor: int = 64 * 1024  # a member this small cannot hurt, whatever it compresses to
    max_depth: int = 3


class BudgetExhausted(ValueError):
    """The read has produced as much text and media as a bucket may hold."""


class ReadBudget:
    """Bytes of text and media one read may still produce (thread-safe: parsers run in threads)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.remaining = total
        self._lock = threading.Lock()

    @classmethod
    def for_bucket(cls, existing: int = 0) -> ReadBudget:
        """The operator's bucket size limit, less what the bucket's text already takes."""
        return cls(max(0, current_settings().upload_limits().max_bucket_bytes - existing))

    def check(self, nbytes: int, what: str) -> None:
        """Refuse, before inflating, something that could not fit anyway."""
        if nbytes > self.remaining:
            raise BudgetExhausted(f"{what}: {nbytes} bytes would exceed what this read may still produce "
                                  f"({self.remaining} of {self.total} bytes left)")

    def charge(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` produced; :class:`BudgetExhausted` once the budget is spent."""
        with self._lock:
            if nbytes > self.remaining:
                self.remaining = 0
                raise BudgetExhausted(f"{what}: the read reached the bucket limit of {self.total} bytes")
            self.remaining -= nbytes
