"""Per-provider API keys stored in the data directory (``cookies/api_key_<Provider>.json``, mode 0600).

One file per provider lets a key entered once (on the chat page, or written by an operator)
reach both the server and every kernel without exporting an environment variable to each.
Files are replaced atomically, so the other process reads the old key or the new one.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from .atomic import atomic_write_json
from .layout import cookies_dir
from .paths import safe_name

__all__ = ["delete_api_key", "save_api_key", "stored_api_key"]

_PREFIX = "api_key_"
_SUFFIX = ".json"
KEY_FILE_MODE = 0o600  # the file holds a credential


def _key_file(provider: str) -> Path:
    return cookies_dir() / f"{_PREFIX}{safe_name(provider, 'provider')}{_SUFFIX}"


def stored_api_key(provider: str) -> str | None:
    """The stored key of ``provider``; ``None`` when there is no readable, non-empty one.

    Asked on every request to a provider that may take a key: a stat, and the file is read
    again only when it was replaced (the atomic writer gives every version a new inode).
    """
    path = _key_file(provider)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _read_key(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _read_key(path: str, inode: int, mtime_ns: int, size: int) -> str | None:
    """The key in one version of a key file (cached by that version's identity)."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    key = data.get("api_key") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None


def save_api_key(provider: str, key: str) -> None:
    """Store ``key`` for ``provider`` (replacing any earlier one), readable by its owner only."""
    atomic_write_json(_key_file(provider), {"api_key": key}, mode=KEY_FILE_MODE)


def delete_api_key(provider: str) -> bool:
    """Remove the stored key of ``provider``; ``False`` when there was none."""
    try:
        _key_file(provider).unlink()
    except FileNotFoundError:
        return False
    return True

