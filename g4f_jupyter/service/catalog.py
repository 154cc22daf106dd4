"""The model and provider listings of ``/models``, ``/models/<provider>`` and ``/providers``.

Listings come from the provider catalog; a provider whose models are live is asked for
them with a short timeout, and any failure (offline, no key, bad base) falls back to the
catalog's list so the picker always has something to show.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..core.provider import Provider
from ..core.registry import get_registry
from ..errors import ProviderNotFoundError

__all__ = ["DEMO_PROVIDER", "list_models", "provider_models", "list_providers"]

log = logging.getLogger(__name__)

DEMO_PROVIDER = "Local"
"""In demo mode only the embedded model is offered, and it answers requests that name no provider."""

_LIVE_MODELS_TIMEOUT = 3.0  # seconds: the model picker must not wait on a slow provider


def _flags(provider: Provider, model: str) -> dict[str, bool]:
    return {
        "image": model in provider.image_models,
        "vision": model in provider.vision_models,
        "audio": model in provider.audio_models,
        "video": model in provider.video_models,
    }


def _offered(demo: bool) -> list[Provider]:
    """The providers listed: in demo mode only the demo provider."""
    registry = get_registry()
    return [registry.get(DEMO_PROVIDER)] if demo else registry.providers()


def list_models(demo: bool = False) -> list[dict[str, Any]]:
    """Era-A ``/models``: one entry per model name with the providers offering it."""
    entries: dict[str, dict[str, Any]] = {}
    for provider in _offered(demo):
        for model in provider.models:
            flags = _flags(provider, model)
            entry = entries.setdefault(model, {"name": model, **dict.fromkeys(flags, False), "providers": []})
            for flag, value in flags.items():
                entry[flag] = entry[flag] or value
            entry["providers"].append(provider.name)
            if demo:
                entry["demo"] = True
    return list(entries.values())


async def _live_models(provider: Provider, api_key: str | None, api_base: str | None) -> list[str] | None:
    """The provider's own list, or ``None`` when it cannot be had quickly."""
    try:
        models = await asyncio.wait_for(provider.get_models(api_key=api_key, api_base=api_base), _LIVE_MODELS_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - offline, no key, bad base: the catalog list stands in
        log.debug("live models of %s unavailable: %s", provider.name, exc)
        return None
    return models or None


async def provider_models(name: str, api_key: str | None = None, api_base: str | None = None) -> list[dict[str, Any]]:
    """``/models/<provider>``: entries with both ``model`` and ``id``; unknown provider → ``[]``."""
    try:
        provider = get_registry().get(name)
    except ProviderNotFoundError:
        return []
    models = provider.models
    if provider.spec.live_models:
        base = api_base if provider.spec.per_request_api_base else None
        live = await _live_models(provider, api_key, base)
        if live:
            models = live
    return [
        {"model": m, "id": m, "label": m, "default": m == provider.default_model, **_flags(provider, m), "count": None}
        for m in models
    ]


def list_providers(demo: bool = False) -> list[dict[str, Any]]:
    """Era-A ``/providers``: capability counts, auth needs and login links."""
    return [
        {
            "name": p.name,
            "label": p.label,
            "parent": p.spec.parent,
            "image": len(p.image_models),
            "vision": bool(p.vision_models),
            "audio": len(p.audio_models),
            "video": len(p.video_models),
            "nodriver": False,
            "hf_space": False,
            "auth": p.spec.needs_auth,
            "login_url": p.spec.login_url,
        }
        for p in _offered(demo)
    ]
