"""The Python API: ``ask``/``stream`` and their async twins ``aask``/``astream``.

The sync forms work inside a notebook (whose loop is already running) because the
stream runs on a private background loop (see :mod:`g4f_jupyter.core.sync`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Generator
from typing import Any

from .core.events import Content, Event
from .core.runner import ChatRequest, raise_for_event
from .core.sync import iterate_sync
from .service.conversation import build_messages, open_conversation

__all__ = ["ask", "aask", "stream", "astream"]


def _request(
    prompt: str | list[dict[str, Any]],
    model: str | None,
    provider: str | None,
    system: str | None,
    history: list[dict[str, Any]] | None,
    api_key: str | None,
    api_base: str | None,
    options: dict[str, Any],
) -> ChatRequest:
    messages = build_messages(prompt, system, history) if isinstance(prompt, str) else list(prompt)
    return ChatRequest(
        messages=messages, model=model, provider=provider, api_key=api_key, api_base=api_base,
        options={k: v for k, v in options.items() if v is not None},
    )


async def astream(
    prompt: str | list[dict[str, Any]],
    *,
    model: str | None = None,
    provider: str | None = None,
    system: str | None = None,
    history: list[dict[str, Any]] | None = None,
    api_key: str | None = None,
    api_base: str | None = None,
    **options: Any,
) -> AsyncGenerator[Event, None]:
    """Stream the answer as typed events. Bad provider/model/key raise before the first event."""
    request = _request(prompt, model, provider, system, history, api_key, api_base, options)
    _, events = open_conversation(request)
    async with contextlib.aclosing(events):  # stopping early must stop the provider now, not at garbage collection
        async for event in events:
            yield event


def stream(prompt: str | list[dict[str, Any]], **kwargs: Any) -> Generator[Event, None, None]:
    """Sync twin of :func:`astream`; safe to call from a notebook cell."""
    return iterate_sync(lambda: astream(prompt, **kwargs))


def _text(event: Event) -> str:
    """The text an event adds to the answer; a failed stream raises instead."""
    raise_for_event(event)
    return event.content if isinstance(event, Content) else ""


async def aask(prompt: str | list[dict[str, Any]], **kwargs: Any) -> str:
    """The whole answer as text; raises :class:`G4FError` when the provider fails."""
    async with contextlib.aclosing(astream(prompt, **kwargs)) as events:
        return "".join([_text(event) async for event in events])


def ask(prompt: str | list[dict[str, Any]], **kwargs: Any) -> str:
    """Sync twin of :func:`aask`; safe to call from a notebook cell."""
    with contextlib.closing(stream(prompt, **kwargs)) as events:
        return "".join(_text(event) for event in events)
