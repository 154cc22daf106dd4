"""The chat's conversation object, in the shape the share route stores (protocol §5.1).

``{"id", "title", "added", "updated", "system"?, "items": [{"role", "content", "provider"?,
"usage"?, "reasoning"?, "finish"?}]}``: the widget keeps exactly what a browser client
keeps, so sharing it needs no conversion.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ._render import now_ms

__all__ = ["ConversationLog"]

_TITLE_LENGTH = 60


class ConversationLog:
    """The items of one chat plus its stamps; ``updated`` only ever grows."""

    def __init__(self) -> None:
        stamp = now_ms()
        self.id = str(uuid.uuid4())
        self.title = "New chat"
        self.added = stamp
        self.updated = stamp
        self.items: list[dict[str, Any]] = []

    def add(self, item: dict[str, Any]) -> None:
        if not self.items and item.get("role") == "user" and isinstance(item.get("content"), str):
            self.title = item["content"].strip().splitlines()[0][:_TITLE_LENGTH] or self.title
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
            "items": copy.deepcopy(self.items),
        }
        if system:
            data["system"] = system
        return data
