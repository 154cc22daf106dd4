"""API keys entered on the chat page: which providers take one, and storing or removing it.

The key is written to the data directory's key store (``store.keys``), where every
provider instance looks after the request's own key and its environment variable, in the
server and in kernels alike. No answer ever contains a key, only whether one is stored.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from ..core.provider import ProviderSpec
from ..core.registry import get_registry
from ..errors import BadRequestError, NotFoundError
from ..store import keys as key_store
from .validation import json_object, validate

__all__ = ["MAX_KEY_LENGTH", "delete_key", "key_settings", "save_key"]

MAX_KEY_LENGTH = 4096


def _header_safe(key: str) -> str:
    """Printable ASCII without spaces: a key travels in an HTTP header, where a newline would split it."""
    if not all("!" <= c <= "~" for c in key):
        raise ValueError("an API key is printable ASCII without spaces")
    return key


ApiKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_LENGTH), AfterValidator(_header_safe)]


class _KeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    api_key: ApiKey


def _takes_key(spec: ProviderSpec) -> bool:
    """A provider takes a key when it needs one or names an environment variable for one."""
    return spec.needs_auth or bool(spec.api_key_env)


def _owner(spec: ProviderSpec) -> str:
    """Whose key file a provider reads: a child provider shares its parent's key."""
    return spec.parent or spec.name


def _spec(provider: str) -> ProviderSpec:
    registry = get_registry()
    spec = registry.specs[registry.lookup_name(provider)]  # ProviderNotFoundError: 404
    if not _takes_key(spec):
        raise BadRequestError(f"{spec.name} takes no API key")
    return spec


def key_settings() -> list[dict[str, Any]]:
    """Each provider that takes a key: whether one is stored, and the variable that would override it."""
    return [
        {
            "name": spec.name,
            "label": spec.label or spec.name,
            "needs_auth": spec.needs_auth,
            "stored": key_store.stored_api_key(_owner(spec)) is not None,
            "variable": spec.api_key_env,
            "variable_set": bool(spec.api_key_env and os.environ.get(spec.api_key_env)),
        }
        for spec in get_registry().specs.values()
        if _takes_key(spec)
    ]


def save_key(provider: str, body: Any) -> str:
    """Store the ``{"api_key": ...}`` of ``body`` for ``provider``; returns the catalog's name."""
    spec = _spec(provider)
    key = validate(_KeyBody, json_object(body)).api_key
    key_store.save_api_key(_owner(spec), key)
    return spec.name


def delete_key(provider: str) -> str:
    """Forget the stored key of ``provider`` (404 when none is stored); returns the catalog's name."""
    spec = _spec(provider)
    if not key_store.delete_api_key(_owner(spec)):
        raise NotFoundError(f"no stored API key for {spec.name}")
    return spec.name
