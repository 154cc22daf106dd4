"""``/create``: a one-shot answer as plain text, with an optional on-disk cache.

The request goes through the same builder as ``/conversation`` (validation, the
operator's defaults, ``api_base``/``base_url``/``x-api-base``), and fails with the same
statuses: 400 bad input, 401 missing key, 404 unknown provider/model, 502 when the
provider fails, raised before any output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..core.runner import ChatRequest
from ..errors import BadRequestError
from ..store.atomic import atomic_write_text
from ..store.layout import cache_dir
from .answer import AnswerState
from .conversation import build_messages, open_conversation, with_web_search
from .fences import code_blocks
from .query import bool_or_text
from .request import PROVIDER_OPTIONS, build_request
from .search import NOT_SEARCHED
from .settings import OperatorSettings
from .validation import Text, json_object, validate

__all__ = ["WEB_SEARCH_UNAVAILABLE", "create_chunks", "create_text", "filter_markdown", "merge_json_body"]

WEB_SEARCH_UNAVAILABLE = NOT_SEARCHED


def filter_markdown(text: str, language: bool | str) -> str:
    """``True``: the first fenced block, else the whole text. A language: that block, else ``""``."""
    for block in code_blocks(text):
        if block.closed and (language is True or block.language == str(language).lower()):
            return block.body
    return text if language is True else ""


# Parameters that choose and steer the model; the chat schema checks them as it checks a /conversation body.
_CHAT_FIELDS = ("model", "provider", "api_key", "api_base", "base_url", *PROVIDER_OPTIONS)


def _switch(value: Any) -> Any:
    """A query string's ``true``/``false``/text (see :func:`bool_or_text`); JSON booleans as they are."""
    return bool_or_text(value) if isinstance(value, str) else value


Switch = Annotated[bool | Text, BeforeValidator(_switch)]


class CreateParams(BaseModel):
    """``/create``'s own parameters; the chat fields among the others go to the request builder."""

    model_config = ConfigDict(extra="allow")

    prompt: Text = Field(min_length=1)
    cache: Text = ""
    web_search: Switch = False
    filter_markdown: Switch = False
    stream: Annotated[bool, BeforeValidator(_switch)] = False


def merge_json_body(params: Mapping[str, Any], body: Any) -> dict[str, Any]:
    """Query parameters overlaid with a JSON object body (whose values keep their JSON types)."""
    merged = dict(params)
    merged.update({k: v for k, v in json_object(body).items() if v is not None})
    return merged


def _cache_key(value: str, params: Mapping[str, Any]) -> str:
    """sha256 of the cache value plus the canonical JSON of every other parameter."""
    canonical = json.dumps({k: v for k, v in params.items() if k != "cache"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((value + canonical).encode("utf-8")).hexdigest()


async def _pieces(request: ChatRequest) -> AsyncGenerator[str, None]:
    """The answer's text as it streams, ending ``[reason]`` when the finish is not ``stop``.

    A provider that fails before any text raises with ``/conversation``'s status; one that
    fails later ends the text with ``[its message]``.
    """
    _, events = open_conversation(request)
    state = AnswerState()
    async with contextlib.aclosing(events):
        async for event in events:
            shown = len(state.text)
            state.apply(event)
            if len(state.text) > shown:
                yield state.text[shown:]
    if state.failure is not None:
        if not state.text:
            state.raise_failure()
        yield f"\n[{state.failure_message}]"
    reason = state.finish_reason or "stop"
    if reason != "stop":
        yield f"[{reason}]"


async def create_chunks(
    params: Mapping[str, Any], headers: Mapping[str, str] | None = None, settings: OperatorSettings | None = None
) -> AsyncGenerator[str, None]:
    """The answer to ``params["prompt"]`` after search, filtering and caching as asked, in pieces.

    With ``stream`` the text comes as the provider writes it (and is cached at the end);
    otherwise, and whenever ``filter_markdown`` needs the whole answer, as one piece.
    Every parameter is checked before the first piece (cache, search, provider), so bad
    input raises before any output. ``settings`` are the operator's (read from the
    environment when not given).
    """
    checked = validate(CreateParams, {k: v for k, v in params.items() if v is not None})
    prompt = checked.prompt.strip()
    if not prompt:
        raise BadRequestError("prompt is required")
    chat = {k: params[k] for k in _CHAT_FIELDS if params.get(k) not in (None, "")}
    request = build_request({**chat, "messages": build_messages(prompt)}, headers, settings=settings)
    cache_path = cache_dir("create") / f"{_cache_key(checked.cache, params)}.txt" if checked.cache else None
    if cache_path is not None and cache_path.is_file():
        yield cache_path.read_text("utf-8")
        return
    note = ""
    if checked.web_search:
        request, line = await with_web_search(dataclasses.replace(request, web_search=checked.web_search), settings)
        note = f"\n\n[{line}]" if line.startswith(NOT_SEARCHED) else ""
    streaming = checked.stream and not checked.filter_markdown
    pieces: list[str] = []
    async with contextlib.aclosing(_pieces(request)) as answer:
        async for piece in answer:
            pieces.append(piece)
            if streaming:
                yield piece
    pieces.append(note)
    text = "".join(pieces)
    if checked.filter_markdown:
        text = filter_markdown(text, checked.filter_markdown)
    if cache_path is not None:
        atomic_write_text(cache_path, text)
    yield note if streaming else text


async def create_text(
    params: Mapping[str, Any], headers: Mapping[str, str] | None = None, settings: OperatorSettings | None = None
) -> str:
    """The whole answer of :func:`create_chunks` as one string."""
    return "".join([piece async for piece in create_chunks(params, headers, settings)])
