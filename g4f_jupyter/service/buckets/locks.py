"""A bucket's two cross-process locks, kept outside the bucket so deleting it never races them.

The short *index* lock guards read-modify-write of ``files.txt``/``downloads.json`` and
the moment an upload renames its files into place; the long *read* lock lets one
extraction at a time build ``plain.cache``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ...store.layout import cache_dir
from ...store.locks import async_file_lock, file_lock
from .layout import Bucket

__all__ = ["index_lock", "read_lock"]


def _lock_path(bucket: Bucket, kind: str) -> Path:
    return cache_dir("bucket-locks") / f"{bucket.id}.{kind}.lock"


def index_lock(bucket: Bucket) -> contextlib.AbstractContextManager[None]:
    """Short, blocking: held around index changes (never across a parser or a download)."""
    return file_lock(_lock_path(bucket, "index"))


def read_lock(bucket: Bucket) -> contextlib.AbstractAsyncContextManager[None]:
    """Long, polled: held by a read for its whole length, without blocking any event loop."""
    return async_file_lock(_lock_path(bucket, "read"))
