"""Another ``/backend-api/v2`` server (upstream gpt4free or g4f-jupyter) as a provider.

POSTs the conversation, then relays the typed events parsed from the reply, whether the
server frames them as NDJSON (era A, ours) or SSE (upstream since 2025-12).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
from collections.abc import AsyncGenerator
from typing import Any

from ...errors import BadRequestError
from ..events import Event, ProviderInfo, line_batches, loads, parse_line
from ..provider import ChatMessage, Provider
from .http import raise_for_status, request, timeout

__all__ = ["BackendApiProvider", "data_uri"]

_NOT_FORWARDED = {"api_key", "api_base", "media"}
_LIST_TIMEOUT = timeout(15.0)
_TIMEOUT = timeout(300.0)  # another server may run tools a long while before its next event


def data_uri(data: bytes | str, filename: str) -> str:
    """A file as a ``data:`` URI; strings that already are URIs pass through."""
    if isinstance(data, str):
        return data
    mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _json_safe(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Only the extra kwargs that survive JSON (upstream crashes on the others)."""
    safe = {}
    for key, value in kwargs.items():
        if key in _NOT_FORWARDED or value is None:
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        safe[key] = value
    return safe


class BackendApiProvider(Provider):
    """Driver ``backend_api``."""

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", **self.spec.headers}
        token_env = self.spec.settings.get("token_env")
        token = os.environ.get(token_env) if token_env else None
        if token or self.spec.settings.get("token"):
            headers["Authorization"] = f"token {token or self.spec.settings['token']}"
        return headers

    def _server(self) -> str:
        base = self.api_base()
        if not base:
            raise BadRequestError(f"{self.name} needs the server URL (set {self.spec.api_base_env})")
        return base

    async def get_models(self, api_key: str | None = None, api_base: str | None = None) -> list[str]:
        url = f"{self._server()}/backend-api/v2/models"
        async with request(self.name, "GET", url, headers=self._headers(), timeout=_LIST_TIMEOUT) as response:
            await raise_for_status(response, self.name)
            data = loads(await response.read())
        if isinstance(data, dict):  # era P: {provider: [ids]}
            return sorted({m for ids in data.values() for m in ids})
        return [str(entry.get("name")) for entry in data if isinstance(entry, dict) and entry.get("name")]

    async def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncGenerator[Event, None]:
        media = [[data_uri(data, name), name] for data, name in kwargs.get("media") or ()]
        body = {"model": model, "messages": messages, "media": media, "api_key": self.api_key(kwargs.get("api_key"))}
        body.update(_json_safe(kwargs))
        url = f"{self._server()}/backend-api/v2/conversation"
        async with request(self.name, "POST", url, json=body, headers=self._headers(), timeout=_TIMEOUT) as response:
            await raise_for_status(response, self.name)
            async for lines in line_batches(response.content.iter_any()):
                for line in lines:
                    event = parse_line(line)
                    if event is None or (isinstance(event, ProviderInfo) and not event.name):
                        continue
                    yield event
