"""How many answers a user has streaming at once, counted across the server and its kernels.

A user may have ``limit`` answers at a time: slot ``i`` is the lock file ``streams/<i>.lock`` in
the data directory, and an answer holds an ``flock`` on one of them while it streams. Both
processes see the same locks; a process that dies (a restarted kernel) releases its locks with
it, so no count can drift. Taking a slot tries at most ``limit`` files without waiting.
"""

from __future__ import annotations

import os

from ..store.layout import stream_slots_dir
from ..store.locks import try_flock

__all__ = ["StreamSlot", "take_slot"]


class StreamSlot:
    """One held slot; :meth:`release` (idempotent) lets the next answer have it."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def fileno(self) -> int:
        """The lock file's descriptor (a relay worker that takes the answer over gets a copy, and the lock with it)."""
        assert self._fd is not None, "released"
        return self._fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file drops its flock

    def __del__(self) -> None:
        self.release()


def _take_at(index: int) -> StreamSlot | None:
    fd = os.open(stream_slots_dir() / f"{index}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    if try_flock(fd):
        return StreamSlot(fd)
    os.close(fd)
    return None


def take_slot(limit: int) -> StreamSlot | None:
    """A free slot among the first ``limit``, or ``None`` when all are held (by any process)."""
    for index in range(limit):
        slot = _take_at(index)
        if slot is not None:
            return slot
    return None
