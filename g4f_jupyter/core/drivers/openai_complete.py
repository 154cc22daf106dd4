"""Code completion from an OpenAI-compatible server: ``/completions`` with the code after the cursor as ``suffix``.

Servers differ: llama.cpp's and Ollama's fill in the middle from ``prompt`` + ``suffix``;
vLLM refuses ``suffix``; Groq and OpenAI's chat models have no ``/completions``. The first
completion asked of a server and model finds out: a 404, 405 or 501, or a 400/422 that names
``suffix``, raises :class:`CompletionsUnavailable` before anything is streamed, and the
caller asks the chat instead; the answer is remembered for the process, so later keystrokes
go straight to the chat. The stream is closed as soon as the suggestion is complete.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from ...errors import ProviderHTTPError
from ..code_context import CodeContext, dropped, from_line_start
from ..code_end import Suggestion
from ..events import Content, Event, Finish, Usage, loads, sse_data
from .http import raise_for_status, request
from .openai import OpenAIProvider

__all__ = ["CompletionsUnavailable", "complete_code"]

CONTEXT_CHARS = 8_000  # code before the cursor sent (~2,000 tokens)
SUFFIX_CHARS = 2_000  # code after it
MAX_TOKENS = 128
_NO_SUFFIX = frozenset({404, 405, 501})
_without_completions: set[tuple[str, str]] = set()  # (base URL, model) that answered "no"


class CompletionsUnavailable(Exception):
    """The server has no ``/completions`` with ``suffix`` for this model: ask the chat."""


def _refuses(error: ProviderHTTPError) -> bool:
    status = error.upstream_status
    return status in _NO_SUFFIX or (status in (400, 422) and "suffix" in str(error).lower())


async def complete_code(
    provider: OpenAIProvider, model: str, code: CodeContext, **options: Any
) -> AsyncGenerator[Event, None]:
    """The suggestion for ``code`` from ``/completions``; :class:`CompletionsUnavailable` (before any event)
    when the server has none."""
    base = provider._base(options.get("api_base"))
    if (base, model) in _without_completions:
        raise CompletionsUnavailable(base)
    key = provider.require_api_key(options.get("api_key"))
    before = code.code_before()
    body: dict[str, Any] = {
        "model": model,
        "prompt": from_line_start(before, dropped(len(before), CONTEXT_CHARS)),
        "max_tokens": options.get("max_tokens") or MAX_TOKENS,
        "temperature": 0,
        "stream": True,
    }
    if code.suffix.strip():
        body["suffix"] = code.suffix[:SUFFIX_CHARS]
    stop = options.get("stop")
    if stop:
        body["stop"] = stop
    headers = {**provider._headers(key), "Accept": "text/event-stream"}
    suggestion = Suggestion(code.cursor, (stop,) if isinstance(stop, str) else tuple(stop or ()))
    reason = "stop"
    async with request(provider.name, "POST", f"{base}/completions", json=body, headers=headers) as response:
        try:
            await raise_for_status(response, provider.name)
        except ProviderHTTPError as exc:
            if not _refuses(exc):
                raise
            _without_completions.add((base, model))
            raise CompletionsUnavailable(base) from exc
        async for batch in sse_data(response.content.iter_any()):
            for data in batch:
                if not data.strip() or data.strip() == b"[DONE]":
                    continue
                chunk = loads(data)
                for choice in chunk.get("choices") or ():
                    shown = suggestion.add(str(choice.get("text") or ""))
                    if shown:
                        yield Content(shown)
                    reason = choice.get("finish_reason") or reason
                usage = chunk.get("usage")
                if isinstance(usage, dict) and usage.get("total_tokens") is not None:
                    prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                    yield Usage(prompt, completion, int(usage["total_tokens"]))
            if suggestion.complete:
                break  # leaving the block closes the response: the server stops generating
    rest = suggestion.finish()
    if rest:
        yield Content(rest)
    yield Finish("stop" if suggestion.complete else reason)
