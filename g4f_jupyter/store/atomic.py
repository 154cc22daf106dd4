"""The one atomic writer (temp file + rename) and whole-line appends under a lock.

Every file in the data directory is published whole: it is written to a hidden
``.<name>.<random>.tmp`` beside its destination and renamed over it, so a reader in the
other process sees the old file or the new one, never a part. A writer holds an
``flock`` on its temporary file while it lives, which is how :mod:`.sweep` tells a
file still being written from one left by a killed process.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from .locks import flocked, try_flock

__all__ = [
    "TEMP_SUFFIX",
    "AtomicFile",
    "append_jsonl",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
]

TEMP_SUFFIX = ".tmp"


class AtomicFile:
    """A file being written beside ``path``: :meth:`commit` publishes it whole, :meth:`discard` drops it.

    As a context manager it commits when the block ends normally and discards on an error.
    """

    def __init__(self, path: Path, mode: int | None = None) -> None:
        self.path = path
        self.mode = mode
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        try_flock(fd)  # a new file nobody else has open: always granted
        self.temp = Path(tmp)
        self.file = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, data: bytes) -> int:
        written = self.file.write(data)
        self.size += written
        return written

    def commit(self) -> None:
        """Flush to disk and rename over ``path`` (the temporary file is gone afterwards)."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            if self.mode is not None:
                os.chmod(self.temp, self.mode)
            os.replace(self.temp, self.path)
        except BaseException:
            self.discard()
            raise
        self.file.close()

    def discard(self) -> None:
        """Drop what was written; ``path`` keeps its old content (safe to call twice)."""
        self.file.close()
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part."""
    with AtomicFile(path, mode) as out:
        out.write(data)


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def atomic_write_json(path: Path, obj: Any, mode: int | None = None) -> None:
    atomic_write_bytes(path, json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8"), mode)


def append_jsonl(path: Path, obj: Any) -> None:
    """Append ``obj`` as one JSON line; an exclusive lock keeps concurrent writers' lines whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with flocked(fd):
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
