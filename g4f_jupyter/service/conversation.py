"""A conversation turn from a validated request to a stream of typed events.

Shared by the HTTP route, the Python API, the magics and the widgets. Requests are built
and validated in :mod:`.request`; resolution happens here, before the first event, so
that bad input becomes a clear error (an HTTP status on the wire) instead of a broken stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..core.events import Error, Event, Log
from ..core.runner import Candidate, ChatRequest, plan_chat, run_chat
from .buckets import ground_messages, validate_bucket_id

__all__ = ["build_messages", "open_conversation"]


def build_messages(
    prompt: str,
    system: str | None = None,
    history: list[dict[str, Any]] | None = None,
    buckets: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Messages for a prompt with an optional system prompt and earlier exchanges.

    ``buckets`` ground the prompt: each goes out as a ``{"bucket_id"}`` content part
    (protocol §4.5), which the conversation expands into the bucket's text.
    """
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages.extend(history or ())
    content: str | list[dict[str, Any]] = prompt
    if buckets:
        content = [*({"bucket_id": validate_bucket_id(b)} for b in buckets), {"type": "text", "text": prompt}]
    messages.append({"role": "user", "content": content})
    return messages


def open_conversation(request: ChatRequest) -> tuple[list[Candidate], AsyncGenerator[Event, None]]:
    """Resolve the providers now (raising for bad input), and return the event stream to run."""
    candidates = plan_chat(request)
    return candidates, _grounded_chat(request, candidates)


def _grounding_budget(candidates: list[Candidate]) -> int | None:
    """Half the first provider's context for file text; ``None`` (the small default) when unknown."""
    context = candidates[0].provider.spec.context_tokens if candidates else 0
    return context // 2 if context > 0 else None


async def _grounded_chat(request: ChatRequest, candidates: list[Candidate]) -> AsyncGenerator[Event, None]:
    """Expand bucket references in the messages, run the chat, then log what was included.

    Grounding may read files, so it runs inside the stream; its log lines come after the
    runner's own events, keeping the protocol order (logs last).
    """
    try:
        messages, lines = await ground_messages(request.messages, _grounding_budget(candidates))
    except Exception as exc:
        yield Error(error=type(exc).__name__, message=f"reading the chat's files failed: {exc}")
        return
    request = dataclasses.replace(request, messages=messages)
    async with contextlib.aclosing(run_chat(request, candidates)) as events:
        async for event in events:
            yield event
    for line in lines:
        yield Log(line)
