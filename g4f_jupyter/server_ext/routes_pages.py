"""Routes of this module, relative to base_url."""

from __future__ import annotations

ROUTES: list[tuple[str, type]] = []
# Served without login, and only when c.G4FSettings.public_shares is on.
PUBLIC_ROUTES: list[tuple[str, type]] = []
