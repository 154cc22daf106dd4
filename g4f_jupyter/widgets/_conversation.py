"""The chat's conversation object, in the shape the share route and the chat store keep (protocol §5.1).

``{"id", "title", "added", "updated", "system"?, "items": [{"role", "content", "provider"?,
"usage"?, "reasoning"?, "finish"?}]}``: the widget keeps exactly what a browser client
keeps, so sharing or saving it needs no conversion, and a chat reopened from the store keeps
the keys the page wrote that the widget does not use.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..service.conversations import DEFAULT_TITLE, default_title
from ._render import now_ms

__all__ = ["ConversationLog"]

_OWN_KEYS = ("id", "title", "added", "updated", "system", "items")


class ConversationLog:
    """The items of one chat plus its stamps; ``updated`` only ever grows."""

    def __init__(self, stored: dict[str, Any] | None = None) -> None:
        """A new chat, or the saved chat ``stored`` (a conversation object from the store) continued."""
        stamp = now_ms()
        stored = copy.deepcopy(stored or {})
        self.id: str = stored.get("id") or str(uuid.uuid4())
        self.title: str = stored.get("title") or DEFAULT_TITLE
        self.added: int = int(stored.get("added") or stamp)
        self.updated: int = int(stored.get("updated") or stamp)
        self.system: str = stored.get("system") or ""
        self.items: list[dict[str, Any]] = [item for item in stored.get("items") or [] if isinstance(item, dict)]
        self.extra = {key: value for key, value in stored.items() if key not in _OWN_KEYS}

    def add(self, item: dict[str, Any]) -> None:
        if not self.items and item.get("role") == "user":
            self.title = default_title([item])
        self.items.append(item)

    def touch(self) -> int:
        """A new ``updated`` stamp, strictly later than the last (a share refuses an unchanged one)."""
        self.updated = max(now_ms(), self.updated + 1)
        return self.updated

    def history(self) -> list[dict[str, Any]]:
        """Earlier turns as chat messages (role + content) for the next request."""
        return [{"role": item["role"], "content": item["content"]} for item in self.items if item.get("content")]

    def as_dict(self, system: str = "") -> dict[str, Any]:
        """A deep copy in the stored shape; ``system`` is the prompt box's current text."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "added": self.added,
            "updated": self.updated,
            **copy.deepcopy(self.extra),
            "items": copy.deepcopy(self.items),
        }
        if system:
            data["system"] = system
        return data
