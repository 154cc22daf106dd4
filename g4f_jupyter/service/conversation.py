"""A conversation turn from the protocol's JSON body to a stream of typed events.

Shared by the HTTP route, the Python API, the magics and the widgets: validation and
resolution happen here, before the first event, so that bad input becomes a clear
error (an HTTP status on the wire) instead of a broken stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from ..core.events import Error, Event, Log
from ..core.runner import Candidate, ChatRequest, plan_chat, run_chat
from ..errors import BadRequestError
from .buckets import ground_messages
from .query import json_object

__all__ = ["header", "request_from_body", "with_defaults", "open_conversation", "build_messages"]

# Request fields that steer the GUI or the server, not the model.
_CLIENT_ONLY = {
    "id", "conversation_id", "conversation", "action", "download_media", "debug_mode",
    "aspect_ratio", "prompt", "web_search", "ignored", "model", "provider", "messages",
    "api_key", "api_base", "base_url", "proxy", "media", "user", "stream", "tool_calls",
}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header under either spelling (``x-api-key`` and ``x_api_key``): Tornado keeps both."""
    for spelling in (name, name.replace("-", "_")):
        value = headers.get(spelling)
        if value:
            return value
    return None


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise BadRequestError("messages must be a non-empty list of {role, content} objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRequestError(f"messages[{index}] must be an object with a string role")
        if not isinstance(message.get("content"), (str, list)):
            raise BadRequestError(f"messages[{index}].content must be a string or a list of parts")
    return messages


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequestError(f"{key} must be a string")
    return value


def request_from_body(
    body: Any,
    headers: Mapping[str, str] | None = None,
    files: list[tuple[bytes, str]] | None = None,
) -> ChatRequest:
    """Validate a ``/conversation`` body (JSON or the ``json`` part of a multipart upload)."""
    body = json_object(body)
    headers = headers or {}
    api_key = _optional_str(body, "api_key") or header(headers, "x-api-key")
    authorization = headers.get("Authorization", "")
    if not api_key and authorization.lower().startswith("bearer "):
        api_key = authorization[7:].strip() or None
    ignored = body.get("ignored") or (header(headers, "x-ignored") or "").split()
    if not isinstance(ignored, list) or not all(isinstance(x, str) for x in ignored):
        raise BadRequestError("ignored must be a list of provider names")
    media: list[tuple[bytes | str, str]] = list(files or [])
    for item in body.get("media") or ():
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise BadRequestError("media items must be [data_uri, filename] pairs")
        media.append((item[0], item[1]))
    options = {k: v for k, v in body.items() if k not in _CLIENT_ONLY}
    return ChatRequest(
        messages=_check_messages(body.get("messages")),
        model=_optional_str(body, "model"),
        provider=_optional_str(body, "provider"),
        api_key=api_key,
        api_base=_optional_str(body, "api_base") or _optional_str(body, "base_url") or header(headers, "x-api-base"),
        ignored=tuple(ignored),
        media=media,
        options=options,
    )


def with_defaults(
    request: ChatRequest, provider: str | None, model: str | None = None, pin: bool = False
) -> ChatRequest:
    """The request with the operator's default provider (and model) when it names no provider.

    A request that names only a model keeps automatic provider choice for that model,
    unless ``pin`` (demo mode: the demo provider answers everything).
    """
    if request.provider or not provider or (request.model and not pin):
        return request
    return dataclasses.replace(request, provider=provider, model=request.model or model or None)


def build_messages(
    prompt: str,
    system: str | None = None,
    history: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Messages for a prompt with an optional system prompt and earlier exchanges."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages.extend(history or ())
    messages.append({"role": "user", "content": prompt})
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
    except Exception as exc:  # noqa: BLE001 - a failure is an event, never a broken stream
        yield Error(error=type(exc).__name__, message=f"reading the chat's files failed: {exc}")
        return
    request = dataclasses.replace(request, messages=messages)
    async with contextlib.aclosing(run_chat(request, candidates)) as events:
        async for event in events:
            yield event
    for line in lines:
        yield Log(line)
