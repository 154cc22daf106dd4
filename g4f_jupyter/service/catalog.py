"""What the provider catalog offers, for every door: ``/models``, ``/models/<provider>``,
``/providers``, ``%g4f list`` and the chat widget's pickers.

Listings come from the provider catalog; a provider whose models are live is asked for
them with a short timeout, and any failure (offline, no key, bad base) falls back to the
catalog's list so the picker always has something to show. Whether a provider's key is
set is answered once, by :func:`key_state`, for the listing, the magics and the widget.
Every listing shows only what the operator's policy lets this user use (:mod:`.policy`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

from ..core.provider import Provider
from ..core.registry import get_registry
from ..errors import ForbiddenError, ProviderNotFoundError
from .policy import UserRules, current_rules
from .settings import current_settings

__all__ = [
    "AUTOMATIC",
    "DEMO_PROVIDER",
    "KeyState",
    "ProviderChoice",
    "catalog_errors",
    "demo_providers",
    "key_state",
    "list_models",
    "list_providers",
    "model_names",
    "pick_demo_provider",
    "provider_choice",
    "provider_choices",
    "provider_models",
]

log = logging.getLogger(__name__)

DEMO_PROVIDER = "Local"
"""The default demo provider: unless the operator names others, demo mode offers only the embedded model."""

AUTOMATIC = "AnyProvider"
"""The provider name upstream's current page sends for "choose for me"; its models are everyone's."""

_LIVE_MODELS_TIMEOUT = 3.0  # seconds: the model picker must not wait on a slow provider


@dataclass(frozen=True)
class KeyState:
    """Whether a provider needs a key, whether one is set, and which variable holds it."""

    needed: bool
    is_set: bool
    variable: str | None
    missing_message: str | None
    """The words a request without the key fails with (``None`` when nothing is missing)."""

    def describe(self) -> str:
        """One short phrase for listings: ``not needed``, ``set (VAR)``, ``optional (VAR)``, ``missing: set VAR``."""
        var = self.variable
        if not self.needed and not var:
            return "not needed"
        if self.is_set:
            return f"set ({var})" if var else "set"
        if not self.needed:
            return f"optional ({var})"
        return f"missing: set {var}" if var else "missing"


def _key_state(provider: Provider, api_key: str | None = None) -> KeyState:
    return KeyState(
        needed=provider.spec.needs_auth,
        is_set=bool(provider.api_key(api_key)),
        variable=provider.spec.api_key_env,
        missing_message=provider.missing_key_message(api_key),
    )


def key_state(name: str, api_key: str | None = None) -> KeyState:
    """The key state of provider ``name`` (:class:`ProviderNotFoundError` for an unknown one)."""
    return _key_state(get_registry().get(name), api_key)


@dataclass(frozen=True)
class ProviderChoice:
    """One provider as a picker or a listing shows it."""

    name: str
    label: str
    default_model: str
    models: tuple[str, ...]
    """The catalog's models; :func:`provider_models` asks a live provider for its own."""
    live_models: bool
    is_default: bool
    key: KeyState


def _usable(rules: UserRules | None) -> list[Provider]:
    """The catalog's providers this user may use, in catalog order."""
    providers = get_registry().providers()
    return providers if rules is None else [p for p in providers if rules.allows_provider(p.name)]


def _usable_models(provider: Provider, models: list[str], rules: UserRules | None) -> list[str]:
    return models if rules is None else [m for m in models if rules.allows(provider.name, m)]


def _choice(provider: Provider, default_name: str, rules: UserRules | None) -> ProviderChoice:
    return ProviderChoice(
        name=provider.name,
        label=provider.label,
        default_model=provider.default_model,
        models=tuple(_usable_models(provider, provider.models, rules)),
        live_models=provider.spec.live_models,
        is_default=provider.name == default_name,
        key=_key_state(provider),
    )


def provider_choices() -> list[ProviderChoice]:
    """Every provider whose driver loads and the policy lets this user use, in catalog order."""
    rules = current_rules()
    return [_choice(p, get_registry().default_name, rules) for p in _usable(rules)]


def provider_choice(name: str) -> ProviderChoice:
    """One provider by name, case-insensitively (:class:`ProviderNotFoundError` for an unknown one,
    :class:`ForbiddenError` for one the policy keeps from this user)."""
    registry = get_registry()
    provider, rules = registry.get(name), current_rules()
    if rules is not None and not rules.allows_provider(provider.name):
        raise ForbiddenError(rules.refusal(provider.name, ""))
    return _choice(provider, registry.default_name, rules)


def catalog_errors() -> list[str]:
    """Catalog files that could not be loaded, one line each (the other files still count)."""
    registry = get_registry()
    registry.providers()  # a driver that fails to load is reported here too
    return list(registry.errors)


def model_names(demo: bool = False) -> list[str]:
    """Every model some provider offers, once each, in catalog order (automatic provider choice)."""
    return [entry["name"] for entry in list_models(demo)]


def _flags(provider: Provider, model: str) -> dict[str, bool]:
    return {
        "image": model in provider.image_models,
        "vision": model in provider.vision_models,
        "audio": model in provider.audio_models,
        "video": model in provider.video_models,
    }


def demo_providers(names: list[str] | None = None) -> list[Provider]:
    """The demo providers that exist (``names``, else the operator's), in the order given."""
    registry = get_registry()
    found = []
    for name in names if names is not None else current_settings().demo_provider_names():
        try:
            found.append(registry.get(name))
        except ProviderNotFoundError:
            log.warning("demo provider %r is not in the catalog", name)
    return found


def pick_demo_provider(model: str | None, names: list[str] | None = None) -> str:
    """A demo provider for a request naming none: one offering ``model``, chosen at random
    (seed behaviour: demo traffic is spread over the demo providers); any of them when none does."""
    providers = demo_providers(names)
    if not providers:
        return DEMO_PROVIDER
    offering = [p for p in providers if model in p.models] if model else providers
    return random.choice(offering or providers).name


def _offered(demo: bool, rules: UserRules | None) -> list[Provider]:
    """The providers listed: in demo mode only the demo providers; only those the policy allows."""
    if not demo:
        return _usable(rules)
    return [p for p in demo_providers() if rules is None or rules.allows_provider(p.name)]


def list_models(demo: bool = False) -> list[dict[str, Any]]:
    """Era-A ``/models``: one entry per model name with the providers offering it."""
    entries: dict[str, dict[str, Any]] = {}
    rules = current_rules()
    for provider in _offered(demo, rules):
        for model in _usable_models(provider, provider.models, rules):
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
    except Exception as exc:  # offline, no key, bad base: the catalog list stands in
        log.debug("live models of %s unavailable: %s", provider.name, exc)
        return None
    return models or None


def _combined_models(ignored: tuple[str, ...]) -> list[dict[str, Any]]:
    """``/models/AnyProvider``: every catalog model once, ``count`` = how many providers offer it."""
    registry = get_registry()
    skipped = {name.lower() for name in ignored}
    default_model = registry.get(registry.default_name).default_model
    entries: dict[str, dict[str, Any]] = {}
    rules = current_rules()
    for provider in _usable(rules):
        if provider.name.lower() in skipped:
            continue
        for m in _usable_models(provider, provider.models, rules):
            flags = _flags(provider, m)
            entry = entries.setdefault(
                m, {"model": m, "id": m, "label": m, "default": m == default_model, **dict.fromkeys(flags, False)}
            )
            entry.update({flag: True for flag, value in flags.items() if value})
            entry["count"] = entry.get("count", 0) + 1
    return list(entries.values())


async def provider_models(
    name: str, api_key: str | None = None, api_base: str | None = None, ignored: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """``/models/<provider>``: entries with both ``model`` and ``id``; an unknown provider, or one the
    policy keeps from this user, → ``[]``.

    ``AnyProvider`` lists the models of every provider not in ``ignored``.
    """
    if name.lower() == AUTOMATIC.lower():
        return _combined_models(ignored)
    try:
        provider = get_registry().get(name)
    except ProviderNotFoundError:
        return []
    rules = current_rules()
    if rules is not None and not rules.allows_provider(provider.name):
        return []
    models = provider.models
    if provider.spec.live_models:
        base = api_base if provider.spec.per_request_api_base else None
        live = await _live_models(provider, api_key, base)
        if live:
            models = live
    return [
        {"model": m, "id": m, "label": m, "default": m == provider.default_model, **_flags(provider, m), "count": None}
        for m in _usable_models(provider, models, rules)
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
            "auth": _key_state(p).needed,
            # The current upstream page starts only these enabled: usable as they are (no key missing).
            "active_by_default": _key_state(p).missing_message is None,
            "login_url": p.spec.login_url,
        }
        for p in _offered(demo, current_rules())
    ]
