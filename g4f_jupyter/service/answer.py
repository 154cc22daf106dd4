"""One answer built up from its stream of events: the only place that dispatches on event type.

Every consumer of a stream (the magics, the chat widget, ``/create``, ``ask()``) wants
the same things from it: the text so far, the reasoning, who answered, the usage, why
it ended and whether it failed. :class:`AnswerState` folds the events into those fields;
consumers read the fields instead of each keeping its own ``isinstance`` chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.events import (
    Auth,
    Content,
    Error,
    Event,
    Finish,
    Media,
    Message,
    ProviderInfo,
    Reasoning,
    Title,
    Usage,
    to_wire,
)
from ..core.runner import raise_for_event

__all__ = ["AnswerState", "collect", "collect_sync"]


@dataclass
class AnswerState:
    """What a stream has said so far.

    ``text`` holds the answer as it is shown: text deltas, and generated media as their
    Markdown (set apart by a blank line). ``failure`` is the terminal ``error``/``auth``
    event, after which a stream ends; ``notices`` are non-fatal provider messages.
    """

    text: str = ""
    reasoning: str = ""
    provider: ProviderInfo | None = None
    usage: Usage | None = None
    finish_reason: str | None = None
    failure: Error | Auth | None = None
    title: str | None = None
    media: list[Media] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def apply(self, event: Event) -> bool:
        """Fold ``event`` in; ``True`` when the visible answer (text or reasoning) changed."""
        if isinstance(event, Content):
            self.text += event.content
            return bool(event.content)
        if isinstance(event, Media):
            self.media.append(event)
            self.text += ("\n\n" if self.text else "") + event.content
            return True
        if isinstance(event, Reasoning):
            piece = event.token or (f"\n_{event.status}_\n" if event.status else "")
            self.reasoning += piece
            return bool(piece)
        if isinstance(event, ProviderInfo):
            self.provider = event
        elif isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, Finish):
            self.finish_reason = event.reason
        elif isinstance(event, (Error, Auth)):
            self.failure = event
        elif isinstance(event, Message):
            self.notices.append(f"{event.error}: {event.message}" if event.error else event.message)
        elif isinstance(event, Title):
            self.title = event.title
        return False

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def failure_message(self) -> str | None:
        """The one-line reason the stream failed, or ``None``."""
        return self.failure.message if self.failure is not None else None

    def raise_failure(self) -> None:
        """Raise the :class:`~g4f_jupyter.errors.G4FError` the failure stands for (auth → missing key)."""
        if self.failure is not None:
            raise_for_event(self.failure)

    def provider_line(self) -> str:
        """``label / model`` of who answered ('' before the provider event)."""
        info = self.provider
        if info is None:
            return ""
        name = info.label or info.name
        return f"{name} / {info.model}" if info.model else name

    def usage_line(self) -> str:
        """The token counts as one line ('' when no usage was reported)."""
        u = self.usage
        if u is None:
            return ""
        line = f"usage: {u.prompt_tokens} prompt + {u.completion_tokens} completion = {u.total_tokens} tokens"
        return line + (" (estimated)" if u.estimated else "")

    def item(self, finish_reason: str | None = None) -> dict[str, Any]:
        """The answer as a stored conversation item (protocol §5.1), as browser clients keep it.

        ``finish_reason`` overrides the stream's own (``"cancelled"`` when the user stopped it).
        """
        item: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.provider is not None:
            item["provider"] = to_wire(self.provider)["provider"]
        if self.usage is not None:
            item["usage"] = to_wire(self.usage)["usage"]
        if self.reasoning:
            item["reasoning"] = {"text": self.reasoning}
        reason = finish_reason or self.finish_reason
        if reason:
            item["finish"] = {"reason": reason}
        return item


async def collect(events: AsyncIterable[Event]) -> AnswerState:
    """The whole stream folded into one state (failures stay in ``failure``: call ``raise_failure``)."""
    state = AnswerState()
    async for event in events:
        state.apply(event)
    return state


def collect_sync(events: Iterable[Event]) -> AnswerState:
    """Sync twin of :func:`collect`."""
    state = AnswerState()
    for event in events:
        state.apply(event)
    return state
