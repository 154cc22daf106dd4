"""A secret kept in one file of the data directory: made once, readable by its owner only.

The server and every kernel share the data directory, so the first process to need the secret
makes it under a lock and the others read the same file; the file is written whole with mode
0600 (:mod:`g4f_jupyter.store.atomic`). Deleting the file rotates the secret: the next use makes
a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..store.atomic import atomic_write_bytes
from ..store.locks import file_lock

__all__ = ["SECRET_FILE_MODE", "read_or_create_secret"]

SECRET_FILE_MODE = 0o600


def _read(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return data or None


def read_or_create_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret stored at ``path``; made with ``make()`` and stored (0600) when there is none yet."""
    found = _read(path)
    if found is not None:
        return found
    with file_lock(path.with_name(f".{path.name}.lock")):
        found = _read(path)  # another process may have made it while this one waited
        if found is None:
            found = make()
            atomic_write_bytes(path, found, mode=SECRET_FILE_MODE)
    return found
