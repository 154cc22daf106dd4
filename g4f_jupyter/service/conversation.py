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
from ..core.runner import Candidate, ChatRequest, message_text, run_chat
from .buckets import ground_messages, validate_bucket_id
from .generated import save_generated
from .policy import Admission, admit
from .search import NOT_SEARCHED, SearchUnavailable, grounded_prompt, search_web, sources_line
from .settings import OperatorSettings

__all__ = ["admitted_events", "build_messages", "grounding_budget", "open_conversation", "with_web_search"]


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


def open_conversation(
    request: ChatRequest, settings: OperatorSettings | None = None
) -> tuple[list[Candidate], AsyncGenerator[Event, None]]:
    """Resolve the providers now (raising for bad input), and return the event stream to run.

    The providers are planned within the operator's policy, for every door: a provider or model the
    user may not use is a 403, a spent budget or too many answers at once a 429; every turn is recorded.
    """
    admission = admit(request, settings)
    return admission.candidates, admitted_events(request, admission, settings)


def admitted_events(
    request: ChatRequest, admission: Admission, settings: OperatorSettings | None = None
) -> AsyncGenerator[Event, None]:
    """The events of a turn the policy admitted: grounded, run, and metered (its slot freed at the end).

    Apart from :func:`open_conversation` so that a relay worker can run a turn the server admitted.
    """
    return admission.metered(_grounded_chat(request, admission.candidates, settings), request)


def grounding_budget(candidates: list[Candidate]) -> int | None:
    """Half the first provider's context for file text; ``None`` (the small default) when unknown."""
    context = candidates[0].provider.spec.context_tokens if candidates else 0
    return context // 2 if context > 0 else None


def _last_user(messages: list[dict[str, Any]]) -> int | None:
    return next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)


async def with_web_search(
    request: ChatRequest, settings: OperatorSettings | None = None
) -> tuple[ChatRequest, str]:
    """The request with search results put before its last user message, and the log line to show.

    The line names the sources, or says why search was not done (never a silent drop). The
    request returned asks for no further search.
    """
    index = _last_user(request.messages)
    wanted, request = request.web_search, dataclasses.replace(request, web_search=False)
    if not wanted or index is None:
        return request, ""
    message = request.messages[index]
    prompt = message_text(message)
    query = wanted if isinstance(wanted, str) else prompt
    try:
        results = await search_web(query, settings)
    except SearchUnavailable as exc:
        return request, f"{NOT_SEARCHED}: {exc}"
    content = message.get("content")
    grounded = grounded_prompt(results, prompt)
    if isinstance(content, list):
        parts = [p for p in content if not (isinstance(p, dict) and isinstance(p.get("text"), str))]
        new_content: Any = [*parts, {"type": "text", "text": grounded}]
    else:
        new_content = grounded
    messages = [*request.messages]
    messages[index] = {**message, "content": new_content}
    return dataclasses.replace(request, messages=messages), sources_line(query, results)


async def _grounded_chat(
    request: ChatRequest, candidates: list[Candidate], settings: OperatorSettings | None
) -> AsyncGenerator[Event, None]:
    """Search the web and expand bucket references as asked, run the chat (saving the media it
    makes), then log what was included.

    Searching and grounding read the network and files, so they run inside the stream; their log
    lines come after the runner's own events, keeping the protocol order (logs last).
    """
    index = _last_user(request.messages)
    prompt = message_text(request.messages[index]) if index is not None else ""
    request, searched = await with_web_search(request, settings)
    try:
        messages, lines = await ground_messages(request.messages, grounding_budget(candidates))
    except Exception as exc:
        yield Error(error=type(exc).__name__, message=f"reading the chat's files failed: {exc}")
        return
    request = dataclasses.replace(request, messages=messages)
    chat = run_chat(request, candidates)
    if request.download_media:
        chat = save_generated(chat, prompt, candidates, settings)
    async with contextlib.aclosing(chat) as events:
        async for event in events:
            yield event
    for line in ([searched] if searched else []) + lines:
        yield Log(line)
