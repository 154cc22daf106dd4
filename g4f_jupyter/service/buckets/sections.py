"""``plain.index.json``: which byte range of ``plain.cache`` came from which file."""

from __future__ import annotations

import json

from ...store.atomic import atomic_write_json
from .layout import Bucket

__all__ = ["Section", "sections", "write_index"]

Section = tuple[str, int, int]  # (file name, start byte, end byte)


def sections(bucket: Bucket) -> list[Section]:
    """``(file name, start byte, end byte)`` of each file in ``plain.cache``.

    The index names the cache size it describes; a stale or missing index means the
    whole cache counts as one section named after the bucket.
    """
    try:
        size = bucket.cache.stat().st_size
    except FileNotFoundError:
        return []
    try:
        index = json.loads(bucket.cache_index.read_text("utf-8"))
        if index.get("size") == size:
            return [(str(n), int(a), int(b)) for n, a, b in index["sections"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return [(bucket.id, 0, size)]


def write_index(bucket: Bucket, parts: list[Section], size: int) -> None:
    atomic_write_json(bucket.cache_index, {"size": size, "sections": parts})
