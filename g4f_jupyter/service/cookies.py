"""``/upload_cookies``: browser cookie exports (.json) and HAR files for providers.

Saved with mode 0600 (they hold credentials) in the data directory's cookies folder.
"""

from __future__ import annotations

from ..errors import BadRequestError, PayloadTooLargeError
from ..store.atomic import atomic_write_bytes
from ..store.layout import cookies_dir
from ..store.paths import safe_name

__all__ = ["save_cookie_file"]

_COOKIE_EXTENSIONS = (".json", ".har")
_RESERVED_PREFIX = "api_key_"  # stored provider keys live in the same folder


def save_cookie_file(filename: str | None, data: bytes, max_bytes: int) -> str:
    """Validate and store one upload; returns the saved name."""
    if not filename:
        raise BadRequestError("No selected file")
    if not filename.lower().endswith(_COOKIE_EXTENSIONS):
        raise BadRequestError("Not supported file")
    name = safe_name(filename, "file name")
    if name.lower().startswith(_RESERVED_PREFIX):
        raise BadRequestError(f"file names starting with {_RESERVED_PREFIX!r} are reserved for stored API keys")
    if len(data) > max_bytes:
        raise PayloadTooLargeError(f"cookie file over {max_bytes} bytes")
    atomic_write_bytes(cookies_dir() / name, data, mode=0o600)
    return name
