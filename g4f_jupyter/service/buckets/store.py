"""The layout of one bucket on disk, upload limits, file classification and locking.

A bucket is ``buckets/<id>/``: uploaded documents, ``media/``, ``files.txt`` (sources not
yet read), ``downloads.json`` (pending download jobs), ``plain.cache`` (the extracted
text) and ``plain.index.json`` (which byte range of the cache came from which file).
The kernel and the server share it, so every index file is rewritten atomically under
a cross-process lock kept outside the bucket (so deleting a bucket never races its lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import shutil
import unicodedata
from collections.abc import AsyncGenerator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import BadRequestError, NotFoundError, PayloadTooLargeError
from ...store.atomic import atomic_write_json, atomic_write_text
from ...store.layout import bucket_dir, cache_dir
from ...store.locks import file_lock
from ...store.paths import safe_name
from ..media import MEDIA_EXTENSIONS, extension
from ..settings import UploadLimits

__all__ = [
    "UploadLimits",
    "check_upload_limits",
    "Bucket",
    "MEDIA_EXTENSIONS",
    "DOCUMENT_EXTENSIONS",
    "PLAIN_EXTENSIONS",
    "extension",
    "classify",
    "clean_filename",
    "open_bucket",
    "existing_bucket",
    "bucket_info",
    "delete_bucket",
    "media_path",
]

AUDIO_EXTENSIONS = frozenset({"wav", "mp3", "flac", "opus", "ogg", "m4a"})
PLAIN_EXTENSIONS = frozenset(
    {"txt", "xml", "json", "js", "har", "sh", "py", "php", "css", "yaml", "sql", "log", "csv", "twig", "md", "arc"}
)
DOCUMENT_EXTENSIONS = frozenset({"pdf", "docx", "odt", "epub", "xlsx", "html", "htm", "zip"}) | PLAIN_EXTENSIONS

FILES_TXT = "files.txt"
DOWNLOADS_JSON = "downloads.json"
PLAIN_CACHE = "plain.cache"
PLAIN_INDEX = "plain.index.json"
MEDIA = "media"
# Names the bucket uses for itself; an upload may never take them.
RESERVED = frozenset({FILES_TXT, PLAIN_CACHE, PLAIN_INDEX, MEDIA})


def check_upload_limits(files: list[tuple[str, bytes]], limits: UploadLimits) -> None:
    """A 413 for too many files or one too large, before anything is written."""
    if len(files) > limits.max_files:
        raise PayloadTooLargeError(f"{len(files)} files in one upload, over the limit of {limits.max_files}")
    for name, data in files:
        if len(data) > limits.max_file_bytes:
            raise PayloadTooLargeError(f"{name!r} is {len(data)} bytes, over the limit of {limits.max_file_bytes}")


def classify(name: str) -> str | None:
    """``"media"``, ``"document"`` or ``None`` (unsupported) for a file name."""
    ext = extension(name)
    if ext in MEDIA_EXTENSIONS:
        return "media"
    if name.lower() == "package-lock.json":
        return None
    return "document" if ext in DOCUMENT_EXTENSIONS else None


def clean_filename(name: str) -> str:
    """A client's file name made into one safe path component (else :class:`BadRequestError`).

    Browsers send names with spaces and accents, so names are folded rather than refused:
    only the last path component is kept, accents are dropped, other characters become
    ``_``. The result is still checked by :func:`safe_name`.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._+-]+", "_", base).strip("._+-")
    base = re.sub(r"\.{2,}", ".", base)
    if len(base) > 128:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 127 - len(ext)] + dot + ext) if dot and len(ext) < 16 else base[:128]
    return safe_name(base, "file name")


@dataclass(frozen=True)
class Bucket:
    """Paths of one bucket (validated id; the directory may not exist)."""

    id: str
    dir: Path

    @property
    def files_txt(self) -> Path:
        return self.dir / FILES_TXT

    @property
    def downloads(self) -> Path:
        return self.dir / DOWNLOADS_JSON

    @property
    def cache(self) -> Path:
        return self.dir / PLAIN_CACHE

    @property
    def cache_index(self) -> Path:
        return self.dir / PLAIN_INDEX

    @property
    def media(self) -> Path:
        return self.dir / MEDIA

    def source(self, name: str) -> Path:
        """An uploaded document or a media file by (already clean) name."""
        name = safe_name(name, "file name")
        return (self.media if classify(name) == "media" else self.dir) / name

    def _lock_path(self, kind: str) -> Path:
        return cache_dir("bucket-locks") / f"{self.id}.{kind}.lock"

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Short lock around ``files.txt``/``downloads.json`` read-modify-write."""
        return file_lock(self._lock_path("index"))

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncGenerator[None, None]:
        """Long lock held by one extraction at a time; polled so no event loop ever blocks."""
        path = self._lock_path("read")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.05)
            yield
        finally:
            os.close(fd)

    def jobs(self) -> list[Any]:
        """The download jobs waiting in ``downloads.json``; a damaged file counts as none."""
        try:
            jobs = json.loads(self.downloads.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return []
        return jobs if isinstance(jobs, list) else []

    # -- files.txt ---------------------------------------------------------------
    def pending(self) -> list[str]:
        """Names listed in ``files.txt`` (sources not yet read), invalid lines skipped."""
        try:
            lines = self.files_txt.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        names = []
        for line in lines:
            with contextlib.suppress(BadRequestError):
                names.append(safe_name(line.strip(), "file name"))
        return list(dict.fromkeys(names))

    def add_pending(self, names: Iterable[str]) -> None:
        """Merge ``names`` into ``files.txt`` (caller holds :meth:`lock`)."""
        merged = list(dict.fromkeys([*self.pending(), *names]))
        atomic_write_text(self.files_txt, "".join(f"{n}\n" for n in merged))

    def remove_pending(self, names: Iterable[str]) -> None:
        """Drop ``names`` from ``files.txt``, keeping entries another upload added meanwhile."""
        done = set(names)
        with self.lock():
            left = [n for n in self.pending() if n not in done]
            if left:
                atomic_write_text(self.files_txt, "".join(f"{n}\n" for n in left))
            else:
                self.files_txt.unlink(missing_ok=True)

    # -- sections of plain.cache ---------------------------------------------------
    def sections(self) -> list[tuple[str, int, int]]:
        """``(file name, start byte, end byte)`` of each file in ``plain.cache``.

        The index names the cache size it describes; a stale or missing index means the
        whole cache counts as one section named after the bucket.
        """
        try:
            size = self.cache.stat().st_size
        except FileNotFoundError:
            return []
        try:
            index = json.loads(self.cache_index.read_text("utf-8"))
            if index.get("size") == size:
                return [(str(n), int(a), int(b)) for n, a, b in index["sections"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return [(self.id, 0, size)]

    def write_index(self, sections: list[tuple[str, int, int]], size: int) -> None:
        atomic_write_json(self.cache_index, {"size": size, "sections": sections})


def open_bucket(bucket_id: str) -> Bucket:
    """The bucket for an outside id (validated; :class:`BadRequestError` if unsafe)."""
    return Bucket(bucket_id, bucket_dir(bucket_id))


def existing_bucket(bucket_id: str) -> Bucket:
    bucket = open_bucket(bucket_id)
    if not bucket.dir.is_dir():
        raise NotFoundError(f"bucket {bucket_id!r} not found")
    return bucket


def _entries(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                yield path


def bucket_size(bucket: Bucket) -> int:
    """Bytes of everything kept in the bucket (temporary upload files excluded)."""
    return sum(p.stat().st_size for folder in (bucket.dir, bucket.media) for p in _entries(folder))


def bucket_info(bucket_id: str) -> dict[str, Any]:
    """What a bucket holds; media URLs are relative to the server's base URL."""
    bucket = existing_bucket(bucket_id)
    files = [
        {"name": p.name, "size": p.stat().st_size}
        for p in _entries(bucket.dir)
        if p.name not in RESERVED and classify(p.name) == "document"
    ]
    media = [
        {"name": p.name, "size": p.stat().st_size, "url": f"/files/{bucket.id}/media/{p.name}"}
        for p in _entries(bucket.media)
    ]
    return {"bucket_id": bucket.id, "files": files, "media": media, "size": bucket_size(bucket)}


def delete_bucket(bucket_id: str) -> None:
    """Remove the bucket and everything in it (:class:`NotFoundError` when missing)."""
    bucket = existing_bucket(bucket_id)
    with bucket.lock():
        shutil.rmtree(bucket.dir)


def media_path(bucket_id: str, filename: str) -> Path:
    """An existing media file of a bucket (:class:`NotFoundError` otherwise)."""
    bucket = open_bucket(bucket_id)
    name = safe_name(filename, "file name")
    path = bucket.media / name
    if classify(name) != "media" or not path.is_file():
        raise NotFoundError(f"no media {name!r} in bucket {bucket.id!r}")
    return path
