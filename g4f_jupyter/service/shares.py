"""Shared chats (``/backend-api/v2/chat/<share_id>``): era-A semantics, made safe, plus
``DELETE`` to stop sharing (upstream has no way to take a share down).

The share is the client's conversation object, stored whole and atomically. The file
itself is the source of truth for ``updated`` (no in-memory cache), so the kernel and
the server agree on it. Where shares have owners (the hub's shares service), an owned share
is written and removed only by its owner, checked under the same lock as the write.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt

from ..errors import BadRequestError, G4FError, NotFoundError
from ..store.atomic import atomic_write_json
from ..store.layout import share_file
from ..store.locks import file_lock
from .validation import SafeJson, Text, validate

__all__ = [
    "NOT_MODIFIED",
    "OWNER_KEY",
    "NotOwnerError",
    "delete_share",
    "load_share",
    "new_share_id",
    "parse_if_none_match",
    "save_share",
]

NOT_MODIFIED = object()
OWNER_KEY = "owner"  # who published an owned share: set by the store, never taken from the client


class NotOwnerError(G4FError):
    """The share belongs to another user."""

    status = 403


class _Share(BaseModel):
    """What a share must be to be stored: the page's conversation object (its other keys kept as sent)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, SafeJson]

    id: Text | None = None
    title: Text | None = None
    items: list[dict[Text, SafeJson]] = []
    updated: StrictInt | StrictFloat | None = None  # milliseconds; a boolean is not a time


def new_share_id(requested: str | None = None) -> str:
    """An id for a new share: ``requested`` once checked (400 if it cannot name a share), else a random one."""
    if requested is None:
        return uuid.uuid4().hex
    share_file(requested)  # validates, raising the same error the route would
    return requested


def parse_if_none_match(value: str | None) -> int | None:
    """The ``updated`` stamp in an ``If-None-Match`` header; quotes and ``W/`` stripped, junk → None."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip().strip('"')
    try:
        return int(text)
    except ValueError:
        return None


def _read(share_id: str) -> dict[str, Any] | None:
    try:
        data = json.loads(share_file(share_id).read_text("utf-8"))
    except (FileNotFoundError, ValueError):  # missing, or damaged by hand: no share
        return None
    return data if isinstance(data, dict) else None


def _check_owner(share_id: str, current: dict[str, Any] | None, owner: str | None) -> None:
    if owner is not None and current is not None and current.get(OWNER_KEY) != owner:
        raise NotOwnerError(f"the shared chat {share_id!r} belongs to another user")


def save_share(share_id: str, conversation: Any, owner: str | None = None) -> str:
    """Store ``conversation`` under ``share_id``; an unchanged ``updated`` is refused (400).

    With ``owner``, the share is stored as that user's, and one another user stored is refused (403).
    """
    if not isinstance(conversation, dict):
        raise BadRequestError("the share must be a conversation object")
    updated = validate(_Share, conversation).updated
    path = share_file(share_id)
    with file_lock(path.with_suffix(".lock")):
        current = _read(share_id)
        _check_owner(share_id, current, owner)
        if current is not None and updated is not None and current.get("updated") == updated:
            raise BadRequestError("invalid date")
        atomic_write_json(path, conversation if owner is None else {**conversation, OWNER_KEY: owner})
    return share_id


def load_share(share_id: str, if_none_match: str | None = None) -> dict[str, Any] | object:
    """The stored conversation, :data:`NOT_MODIFIED` when the client's stamp matches, or 404."""
    data = _read(share_id)
    if data is None:
        raise NotFoundError(f"no shared chat {share_id!r}")
    stamp = parse_if_none_match(if_none_match)
    if stamp is not None and data.get("updated") == stamp:
        return NOT_MODIFIED
    return data


def delete_share(share_id: str, owner: str | None = None) -> None:
    """Stop sharing: remove the stored conversation (404 if there is none), so its link answers 404.

    With ``owner``, only that user's share is removed (403 for another user's).
    """
    path = share_file(share_id)
    with file_lock(path.with_suffix(".lock")):
        if owner is not None:
            _check_owner(share_id, _read(share_id), owner)
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(f"no shared chat {share_id!r}") from None
