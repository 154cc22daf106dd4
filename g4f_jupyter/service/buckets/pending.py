"""``files.txt``: the sources a bucket still has to read, and settling them after a read.

A source is identified by its name *and* the file it names (inode, mtime, size), so a
same-named file uploaded while a read runs is a new source: the read reads it too, or
leaves it listed for the next read, but never deletes or forgets it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from ...errors import BadRequestError
from ...store.atomic import atomic_write_text
from ...store.paths import safe_name
from .layout import Bucket
from .locks import index_lock
from .names import classify

__all__ = ["Signature", "add_pending", "open_source", "pending", "settle", "signature", "unread"]

Signature = tuple[int, int, int] | None  # (inode, mtime in ns, size); None for a missing file


def signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def pending(bucket: Bucket) -> list[str]:
    """Names listed in ``files.txt`` (sources not yet read), invalid lines skipped."""
    try:
        lines = bucket.files_txt.read_text("utf-8").splitlines()
    except FileNotFoundError:
        return []
    names = []
    for line in lines:
        with contextlib.suppress(BadRequestError):
            names.append(safe_name(line.strip(), "file name"))
    return list(dict.fromkeys(names))


def _write(bucket: Bucket, names: list[str]) -> None:
    if names:
        atomic_write_text(bucket.files_txt, "".join(f"{n}\n" for n in names))
    else:
        bucket.files_txt.unlink(missing_ok=True)


def add_pending(bucket: Bucket, names: Iterable[str]) -> None:
    """Merge ``names`` into ``files.txt`` (the caller holds the index lock)."""
    _write(bucket, list(dict.fromkeys([*pending(bucket), *names])))


def unread(bucket: Bucket, read: dict[str, Signature]) -> list[str]:
    """Listed sources not yet read in their current form (new, or replaced since)."""
    return [name for name in pending(bucket) if read.get(name, False) != signature(bucket.source(name))]


def settle(bucket: Bucket, read: dict[str, Signature], delete_files: bool) -> list[str]:
    """Unlist (and with ``delete_files`` delete) the sources read as they are now; returns the others.

    Runs under the index lock, which uploads hold while they rename files into place, so
    a file is never deleted between the check and the unlink.
    """
    with index_lock(bucket):
        left = []
        for name in pending(bucket):
            path = bucket.source(name)
            if name in read and read[name] == signature(path):
                if delete_files and classify(name) == "document":
                    path.unlink(missing_ok=True)
            else:
                left.append(name)
        _write(bucket, left)
    return left


def open_source(bucket: Bucket, name: str) -> tuple[BinaryIO | None, Signature]:
    """The listed source ``name`` opened for reading, with the signature of the file actually opened."""
    try:
        fh = bucket.source(name).open("rb")
    except FileNotFoundError:
        return None, None
    st = os.fstat(fh.fileno())
    return fh, (st.st_ino, st.st_mtime_ns, st.st_size)
