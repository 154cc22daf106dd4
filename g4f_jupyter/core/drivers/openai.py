"""Any OpenAI-compatible API: ``/chat/completions`` (streaming SSE) and ``/models``.

OpenAI, Groq, OpenRouter, Ollama, vLLM, llama.cpp server, LM Studio and Custom endpoints
differ only in their TOML file.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncGenerator
from typing import Any

from ...errors import BadRequestError, ProviderHTTPError
from ..events import Content, Event, Finish, Reasoning, Usage, loads, sse_data
from ..provider import ChatMessage, Provider
from .backend_api import data_uri
from .http import raise_for_status, request, timeout

__all__ = ["OpenAIProvider"]

_PASSTHROUGH = (
    "temperature", "max_tokens", "top_p", "seed", "stop",
    "presence_penalty", "frequency_penalty", "tools", "response_format",
)
_LIST_TIMEOUT = timeout(15.0)


class OpenAIProvider(Provider):
    """Driver ``openai``."""

    def _headers(self, api_key: str | None) -> dict[str, str]:
        headers = dict(self.spec.headers)
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return headers

    def _base(self, api_base: str | None) -> str:
        base = self.api_base(api_base)
        if not base:
            raise BadRequestError(f"{self.name} needs a base URL: pass api_base (or set {self.spec.api_base_env})")
        return base

    def parameters(self) -> dict[str, Any]:
        return {name: {"type": "any"} for name in _PASSTHROUGH}

    async def get_models(self, api_key: str | None = None, api_base: str | None = None) -> list[str]:
        if not self.spec.live_models:
            return self.models
        key = self.require_api_key(api_key)
        url = f"{self._base(api_base)}/models"
        async with request(self.name, "GET", url, headers=self._headers(key), timeout=_LIST_TIMEOUT) as response:
            await raise_for_status(response, self.name)
            data = loads(await response.read())
        items = data.get("data", data) if isinstance(data, dict) else data
        return [str(item.get("id")) for item in items if isinstance(item, dict) and item.get("id")]

    async def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncGenerator[Event, None]:
        key = self.require_api_key(kwargs.get("api_key"))
        url = f"{self._base(kwargs.get('api_base'))}/chat/completions"
        body: dict[str, Any] = {"model": model, "messages": _with_media(messages, kwargs.get("media")), "stream": True}
        body.update({k: kwargs[k] for k in _PASSTHROUGH if kwargs.get(k) is not None})
        stream_usage = bool(self.spec.settings.get("stream_usage", True))
        headers = self._headers(key)
        try:
            async for event in self._stream(url, headers, body, stream_usage):
                yield event
        except ProviderHTTPError as exc:
            # Some servers refuse stream_options (400/422 naming it) before streaming: ask again without it.
            if not (stream_usage and exc.upstream_status in (400, 422) and "stream_options" in str(exc)):
                raise
            async for event in self._stream(url, headers, body, False):
                yield event

    async def _stream(
        self, url: str, headers: dict[str, str], body: dict[str, Any], stream_usage: bool
    ) -> AsyncGenerator[Event, None]:
        """One streamed ``/chat/completions`` call as typed events."""
        if stream_usage:
            body = {**body, "stream_options": {"include_usage": True}}
        headers = {**headers, "Accept": "text/event-stream"}
        async with request(self.name, "POST", url, json=body, headers=headers) as response:
            await raise_for_status(response, self.name)
            async for batch in sse_data(response.content.iter_any()):
                for data in batch:
                    if data.strip() == b"[DONE]" or not data:
                        continue
                    for event in _events_of_chunk(loads(data)):
                        yield event


def _with_media(messages: list[ChatMessage], media: list[tuple[bytes | str, str]] | None) -> list[ChatMessage]:
    """Attached images as ``image_url`` parts (data URIs) of the last user message, the OpenAI vision shape."""
    images = [
        data_uri(data, name) for data, name in media or () if (mimetypes.guess_type(name)[0] or "").startswith("image/")
    ]
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if not images or last_user is None:
        return messages
    message = messages[last_user]
    content = message.get("content")
    parts = list(content) if isinstance(content, list) else [{"type": "text", "text": str(content or "")}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in images]
    return [*messages[:last_user], {**message, "content": parts}, *messages[last_user + 1 :]]


def _events_of_chunk(chunk: dict[str, Any]) -> list[Event]:
    """Typed events in one streamed ``chat.completion.chunk``."""
    events: list[Event] = []
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        thinking = delta.get("reasoning_content") or delta.get("reasoning")
        if thinking:
            events.append(Reasoning(token=thinking))
        if delta.get("content"):
            events.append(Content(delta["content"]))
        if choice.get("finish_reason"):
            events.append(Finish(choice["finish_reason"]))
    usage = chunk.get("usage")
    if isinstance(usage, dict) and usage.get("total_tokens") is not None:
        prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        events.append(Usage(prompt, completion, int(usage["total_tokens"])))
    return events
