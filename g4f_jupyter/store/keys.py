"""Per-provider API keys stored in the data directory (``cookies/api_key_<Provider>.json``, mode 0600).

The file is written by the user (or an operator); it lets a key reach both the kernel and
the server without exporting an environment variable to each.
"""

from __future__ import annotations

import json

from .layout import cookies_dir
from .paths import safe_name

__all__ = ["stored_api_key"]


def stored_api_key(provider: str) -> str | None:
    """The stored key of ``provider``; ``None`` when there is no readable, non-empty one."""
    path = cookies_dir() / f"api_key_{safe_name(provider, 'provider')}.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    key = data.get("api_key") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None
