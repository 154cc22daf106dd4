"""``/pa/providers``: upstream's listing of "PA" providers, which its current page loads on every visit.

Upstream lists the Python provider files a user dropped into its workspace (entries
``{"id", "object": "pa_provider", "label", "models", "working", "url"}``) and runs them in the
server. This server runs no such files (its providers are catalog data, and code the page could
name would be code a logged-in browser could start), so the listing is always empty: the page's
PA group stays empty instead of failing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pa_providers"]


def pa_providers() -> list[dict[str, Any]]:
    """Upstream's list shape, with no entries."""
    return []
