"""Cross-process locks (``flock``): the one helper every read-check-write sequence uses.

The kernel and the server share the data directory, so thread locks are not enough. A
lock held by a process that dies is released by the kernel, so nothing stays locked
after a crash.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

__all__ = ["async_file_lock", "file_lock", "flocked", "try_flock"]

POLL_SECONDS = 0.05  # how often a waiting event loop retries a held lock


@contextmanager
def flocked(fd: int) -> Iterator[None]:
    """Hold an exclusive lock on the open file ``fd`` for the ``with`` block (blocking)."""
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def try_flock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` if nobody holds it; ``False`` when somebody does."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open_lock_file(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the lock file ``path`` (created if needed) for the ``with`` block."""
    fd = _open_lock_file(path)
    try:
        with flocked(fd):
            yield
    finally:
        os.close(fd)


@asynccontextmanager
async def async_file_lock(path: Path) -> AsyncIterator[None]:
    """:func:`file_lock` for an event loop: polled, so a long holder never blocks the loop."""
    fd = _open_lock_file(path)
    try:
        while not try_flock(fd):
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
