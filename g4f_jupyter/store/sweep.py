"""Removing temporary files left behind by a process killed mid-write.

An :class:`~.atomic.AtomicFile` holds an ``flock`` on its temporary file while it lives;
the kernel releases it when the writer dies. So a ``.*.tmp`` file nobody holds a lock on
is an orphan, whichever process (server or kernel) made it. A small age threshold covers
the instant between a temporary file's creation and its lock.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from ..config import data_dir
from .atomic import TEMP_SUFFIX
from .locks import try_flock

__all__ = ["sweep_stale_temp_files"]

log = logging.getLogger(__name__)

MIN_AGE_SECONDS = 5.0


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _remove_if_orphaned(path: Path, now: float, min_age: float) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False  # gone meanwhile, or a symlink we never made
    try:
        if now - os.fstat(fd).st_mtime < min_age or not try_flock(fd):
            return False  # just made, or its writer is alive
        path.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


def sweep_stale_temp_files(root: Path | None = None, min_age: float = MIN_AGE_SECONDS) -> int:
    """Delete orphaned temporary files under the data directory (or ``root``); returns how many.

    Called when the server extension starts. Files still being written, by this process
    or another, are left alone.
    """
    root = root or data_dir()
    now = time.time()
    removed = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if _is_temp(name) and _remove_if_orphaned(Path(folder) / name, now, min_age):
                removed += 1
    if removed:
        log.info("removed %d stale temporary file(s) under %s", removed, root)
    return removed
