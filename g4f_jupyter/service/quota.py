"""``backend-api/v2/quota/<provider>``: what upstream's current page asks on every provider switch.

Upstream answers with the provider's own quota object (credits, buckets, usage percentages),
and errors for providers that have none. None of this server's drivers report a quota (the
embedded model has no limit, OpenAI-compatible servers publish none), so every known provider
answers 200 with an object that says so, and whether a key is set for it (never the key).
"""

from __future__ import annotations

from typing import Any

from .catalog import AUTOMATIC, key_state, provider_choice

__all__ = ["provider_quota"]


def provider_quota(name: str, api_key: str | None = None) -> dict[str, Any]:
    """``{"provider", "quota": null, "message", "key"}`` for a known provider; 404 for an unknown one."""
    if name.lower() == AUTOMATIC.lower():
        return {"provider": AUTOMATIC, "quota": None, "message": "automatic choice has no quota of its own",
                "key": "not needed"}
    provider = provider_choice(name).name  # ProviderNotFoundError (404) for an unknown name
    return {
        "provider": provider,
        "quota": None,
        "message": f"{provider} reports no quota",
        "key": key_state(provider, api_key).describe(),
    }
