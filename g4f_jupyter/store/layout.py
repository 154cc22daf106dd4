"""Where each kind of data lives inside the data directory.

Shares and buckets are separate namespaces, so a share id can never overwrite or delete
a bucket (upstream keeps both under ``buckets/``).
"""

from __future__ import annotations

from pathlib import Path

from ..config import data_dir
from .paths import safe_path

__all__ = [
    "bucket_dir",
    "buckets_root",
    "cache_dir",
    "conversation_file",
    "conversations_dir",
    "cookies_dir",
    "logging_dir",
    "media_dir",
    "memory_db",
    "share_file",
    "stream_slots_dir",
    "turns_dir",
    "usage_dir",
]


_made: set[Path] = set()  # made by this process (as the data directory itself is, once per environment)


def _sub(name: str) -> Path:
    """``name`` in the data directory, made on first use (asked several times per request: no mkdir each time)."""
    path = data_dir() / name
    if path not in _made:
        path.mkdir(parents=True, exist_ok=True)
        _made.add(path)
    return path


def buckets_root() -> Path:
    return _sub("buckets")


def bucket_dir(bucket_id: str) -> Path:
    """``buckets/<bucket_id>`` (validated; not created)."""
    return safe_path(buckets_root(), bucket_id, what="bucket id")


def share_file(share_id: str) -> Path:
    """``shares/<share_id>.json`` (validated; not created).

    The suffix is appended, not substituted: ids may hold dots, and ``a.v1``/``a.v2`` must stay two shares.
    """
    path = safe_path(_sub("shares"), share_id, what="share id")
    return path.with_name(f"{path.name}.json")


def conversations_dir() -> Path:
    """Saved chats of the page, the Lab panel and the chat widget: their own namespace, apart from shares."""
    return _sub("conversations")


def conversation_file(conversation_id: str) -> Path:
    """``conversations/<conversation_id>.json`` (validated; not created); the suffix is appended, as for shares."""
    path = safe_path(conversations_dir(), conversation_id, what="conversation id")
    return path.with_name(f"{path.name}.json")


def media_dir() -> Path:
    """Generated media, served at ``/media/<name>`` and searched by ``/search/<tags>``."""
    return _sub("media")


def usage_dir() -> Path:
    return _sub("usage")


def turns_dir() -> Path:
    """``usage/turns``: one line per answered turn (tokens per provider), written by the server itself."""
    return _sub("usage/turns")


def stream_slots_dir() -> Path:
    """``streams``: one lock file per concurrent answer a user may have (held while it streams)."""
    return _sub("streams")


def logging_dir() -> Path:
    return _sub("logging")


def cookies_dir() -> Path:
    return _sub("cookies")


def cache_dir(kind: str) -> Path:
    return _sub(f"cache/{kind}")


def memory_db() -> Path:
    return data_dir() / "memory.sqlite3"
