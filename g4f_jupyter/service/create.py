"""``/create``: a one-shot answer as plain text, with an optional on-disk cache.

The same resolution and errors as ``/conversation`` (404 unknown provider/model, 401
missing key, 400 bad input), raised before any output.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from ..core.events import Auth, Content, Error, Finish
from ..core.runner import raise_for_event
from ..errors import BadRequestError
from ..store.atomic import atomic_write_text
from ..store.layout import cache_dir
from .conversation import build_messages, open_conversation, request_from_body, with_defaults
from .query import bool_or_text, json_object, parse_int

__all__ = ["create_text", "merge_json_body", "filter_markdown", "WEB_SEARCH_UNAVAILABLE"]

log = logging.getLogger(__name__)

WEB_SEARCH_UNAVAILABLE = (
    "[web search is unavailable: no search backend reachable (offline or the ddgs package is missing)]"
)
_SEARCH_TIMEOUT = 5.0
Defaults = tuple[str | None, str | None, bool]
_FENCE = re.compile(r"```([^\n`]*)\n(.*?)```", re.DOTALL)


def filter_markdown(text: str, language: bool | str) -> str:
    """``True``: the first fenced block, else the whole text. A language: that block, else ``""``."""
    for tag, body in _FENCE.findall(text):
        if language is True or tag.strip().lower() == str(language).lower():
            return body.rstrip("\n")
    return text if language is True else ""


def merge_json_body(params: Mapping[str, str], body: Any) -> dict[str, str]:
    """Query parameters overlaid with a JSON object body, whose values become strings as in a query."""
    merged = dict(params)
    merged.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in json_object(body).items() if v is not None})
    return merged


def _cache_key(value: str, params: Mapping[str, str]) -> str:
    """sha256 of the cache value plus the canonical JSON of every other parameter."""
    canonical = json.dumps({k: v for k, v in params.items() if k != "cache"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((value + canonical).encode("utf-8")).hexdigest()


def _search_sync(query: str) -> list[dict[str, Any]]:
    from ddgs import DDGS  # optional: only when installed

    return list(DDGS().text(query, max_results=5))


async def _web_context(query: str) -> str | None:
    """Search results as prompt context, or ``None`` when search is unavailable."""
    if importlib.util.find_spec("ddgs") is None:
        return None
    try:
        results = await asyncio.wait_for(asyncio.to_thread(_search_sync, query), _SEARCH_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - offline search must not break the answer
        log.debug("web search failed: %s", exc)
        return None
    if not results:
        return None
    lines = [f"- {r.get('title', '')}: {r.get('body', '')}\n  Source: {r.get('href', '')}" for r in results]
    return "Web search results:\n" + "\n".join(lines)


async def _generate(params: Mapping[str, str], headers: Mapping[str, str], prompt: str, defaults: Defaults) -> str:
    body: dict[str, Any] = {
        "messages": build_messages(prompt),
        "model": params.get("model") or None,
        "provider": params.get("provider") or None,
    }
    if params.get("max_tokens"):
        body["max_tokens"] = parse_int(params["max_tokens"], 0, "max_tokens", minimum=1)
    _, events = open_conversation(with_defaults(request_from_body(body, headers), *defaults))
    parts: list[str] = []
    reason = "stop"
    async for event in events:
        if isinstance(event, Content):
            parts.append(event.content)
        elif isinstance(event, Finish):
            reason = event.reason
        elif isinstance(event, (Auth, Error)) and not parts:
            raise_for_event(event)
        elif isinstance(event, (Auth, Error)):
            parts.append(f"\n[{event.message}]")
    text = "".join(parts)
    return text if reason == "stop" else f"{text}[{reason}]"


async def create_text(
    params: Mapping[str, str], headers: Mapping[str, str] | None = None, defaults: Defaults = (None, None, False)
) -> str:
    """The answer to ``params["prompt"]`` after search, filtering and caching as asked.

    ``defaults`` are the operator's (provider, model, pin) as in :func:`with_defaults`.
    """
    headers = headers or {}
    prompt = (params.get("prompt") or "").strip()
    if not prompt:
        raise BadRequestError("prompt is required")
    cache_value = params.get("cache") or ""
    cache_path = cache_dir("create") / f"{_cache_key(cache_value, params)}.txt" if cache_value else None
    if cache_path is not None and cache_path.is_file():
        return cache_path.read_text("utf-8")
    search = bool_or_text(params.get("web_search"))
    note = ""
    if search:
        context = await _web_context(prompt if search is True else search)
        if context:
            prompt = f"{context}\n\n{prompt}"
        else:
            note = f"\n\n{WEB_SEARCH_UNAVAILABLE}"
    text = await _generate(params, headers, prompt, defaults) + note
    language = bool_or_text(params.get("filter_markdown"))
    if language:
        text = filter_markdown(text, language)
    if cache_path is not None:
        atomic_write_text(cache_path, text)
    return text
