"""Routes of this module, relative to base_url."""

from __future__ import annotations

ROUTES: list[tuple[str, type]] = []
