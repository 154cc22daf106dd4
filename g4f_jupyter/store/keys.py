"""Per-provider API keys stored in the data directory (``cookies/api_key_<Provider>.json``, mode 0600)."""

from __future__ import annotations

import json

from .atomic import atomic_write_json
from .layout import cookies_dir
from .paths import safe_name

__all__ = ["stored_api_key", "store_api_key"]


def _key_path(provider: str):
    return cookies_dir() / f"api_key_{safe_name(provider, 'provider')}.json"


def stored_api_key(provider: str) -> str | None:
    try:
        data = json.loads(_key_path(provider).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    key = data.get("api_key") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None


def store_api_key(provider: str, api_key: str) -> None:
    atomic_write_json(_key_path(provider), {"api_key": api_key}, mode=0o600)
