"""What a bucket holds, as the doors see it: listing, size, deletion, and its media files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import NotFoundError
from ...store.paths import safe_name
from .jobs import is_recorded_source
from .layout import RESERVED, Bucket, existing_bucket, open_bucket
from .locks import index_lock
from .names import classify

__all__ = ["bucket_info", "bucket_size", "delete_bucket", "media_path", "media_source_url"]


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
    with index_lock(bucket):
        shutil.rmtree(bucket.dir)


def media_path(bucket_id: str, filename: object) -> Path:
    """An existing media file of a bucket (:class:`NotFoundError` otherwise)."""
    bucket = open_bucket(bucket_id)
    name = safe_name(filename, "file name")
    path = bucket.media / name
    if classify(name) != "media" or not path.is_file():
        raise NotFoundError(f"no media {name!r} in bucket {bucket.id!r}")
    return path


def media_source_url(bucket_id: str, url: str) -> str:
    """Where a missing media file of the bucket may be fetched instead: ``url``, if the bucket
    itself recorded it as one of its download sources; otherwise :class:`NotFoundError`.

    So ``files/<bucket>/media/<missing>?url=`` never redirects to a site of the client's choosing.
    """
    if url and is_recorded_source(open_bucket(bucket_id), url):
        return url
    raise NotFoundError("no such media in the bucket, and the URL is not one of its sources")
