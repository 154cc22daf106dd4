"""The Python API: ``ask``/``stream`` and their async twins ``aask``/``astream``.

Arguments go through the same request builder as the HTTP routes (validation, the
operator's default provider and model), so a notebook gets the answers and the errors a
web client would. The sync forms work inside a notebook (whose loop is already running)
because the stream runs on a private background loop (see :mod:`g4f_jupyter.core.sync`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Generator, Sequence
from typing import Any

from .core.events import Event
from .core.sync import iterate_sync
from .service.answer import collect, collect_sync
from .service.conversation import build_messages, open_conversation
from .service.request import attachments, build_request

__all__ = ["aask", "ask", "astream", "stream"]


async def astream(
    prompt: str | list[dict[str, Any]],
    *,
    model: str | None = None,
    provider: str | None = None,
    system: str | None = None,
    history: list[dict[str, Any]] | None = None,
    api_key: str | dict[str, str] | None = None,
    api_base: str | None = None,
    ignored: Sequence[str] | None = None,
    media: Sequence[tuple[bytes | str, str]] | None = None,
    **options: Any,
) -> AsyncGenerator[Event, None]:
    """Stream the answer as typed events.

    ``provider``/``model`` ``None`` mean the operator's defaults, then automatic choice
    (skipping ``ignored`` providers); ``media`` are ``(bytes or data URI, filename)`` images
    or audio; ``options`` are provider options (``temperature``, ``max_tokens``, …).
    Bad input and an unknown provider/model/key raise before the first event.
    """
    messages = build_messages(prompt, system, history) if isinstance(prompt, str) else prompt
    body = {
        **options,
        "messages": messages, "model": model, "provider": provider,
        "api_key": api_key, "api_base": api_base, "ignored": ignored,
    }
    request = build_request(body, files=attachments(media) if media is not None else ())
    _, events = open_conversation(request)
    async with contextlib.aclosing(events):  # stopping early must stop the provider now, not at garbage collection
        async for event in events:
            yield event


def stream(prompt: str | list[dict[str, Any]], **kwargs: Any) -> Generator[Event, None, None]:
    """Sync twin of :func:`astream`; safe to call from a notebook cell."""
    return iterate_sync(lambda: astream(prompt, **kwargs))


async def aask(prompt: str | list[dict[str, Any]], **kwargs: Any) -> str:
    """The whole answer as text; raises :class:`G4FError` (with its HTTP status) when the provider fails."""
    async with contextlib.aclosing(astream(prompt, **kwargs)) as events:
        answer = await collect(events)
    answer.raise_failure()
    return answer.text


def ask(prompt: str | list[dict[str, Any]], **kwargs: Any) -> str:
    """Sync twin of :func:`aask`; safe to call from a notebook cell."""
    with contextlib.closing(stream(prompt, **kwargs)) as events:
        answer = collect_sync(events)
    answer.raise_failure()
    return answer.text
