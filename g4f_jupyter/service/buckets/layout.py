"""Where one bucket's files live on disk.

A bucket is ``buckets/<id>/``: uploaded documents, ``media/``, ``files.txt`` (sources not
yet read), ``downloads.json`` (pending download jobs), ``sources.jsonl`` (every URL the
bucket was asked to download), ``plain.cache`` (the extracted text) and
``plain.index.json`` (which byte range of the cache came from which file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import NotFoundError
from ...store.layout import bucket_dir
from ...store.paths import safe_name
from .names import classify

__all__ = ["RESERVED", "Bucket", "existing_bucket", "open_bucket", "validate_bucket_id"]

FILES_TXT = "files.txt"
DOWNLOADS_JSON = "downloads.json"
SOURCES_JSONL = "sources.jsonl"
PLAIN_CACHE = "plain.cache"
PLAIN_INDEX = "plain.index.json"
REFINED_CACHE = "refined.cache"
MEDIA = "media"
# Names the bucket uses for itself; an upload may never take them.
RESERVED = frozenset({FILES_TXT, SOURCES_JSONL, PLAIN_CACHE, PLAIN_INDEX, REFINED_CACHE, MEDIA})


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
    def sources(self) -> Path:
        return self.dir / SOURCES_JSONL

    @property
    def cache(self) -> Path:
        return self.dir / PLAIN_CACHE

    @property
    def cache_index(self) -> Path:
        return self.dir / PLAIN_INDEX

    @property
    def refined(self) -> Path:
        """The condensed text made by ``refine_chunks_with_spacy`` (see :mod:`.refine`)."""
        return self.dir / REFINED_CACHE

    @property
    def media(self) -> Path:
        return self.dir / MEDIA

    def source(self, name: str) -> Path:
        """An uploaded document or a media file by (already clean) name."""
        name = safe_name(name, "file name")
        return (self.media if classify(name) == "media" else self.dir) / name


def validate_bucket_id(bucket_id: object) -> str:
    """``bucket_id`` if it can name a bucket, else :class:`BadRequestError` (for doors that make ids)."""
    return safe_name(bucket_id, "bucket id")


def open_bucket(bucket_id: str) -> Bucket:
    """The bucket for an outside id (validated; :class:`BadRequestError` if unsafe)."""
    return Bucket(bucket_id, bucket_dir(bucket_id))


def existing_bucket(bucket_id: str) -> Bucket:
    bucket = open_bucket(bucket_id)
    if not bucket.dir.is_dir():
        raise NotFoundError(f"bucket {bucket_id!r} not found")
    return bucket
