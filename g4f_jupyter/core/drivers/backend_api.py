"""Another ``/backend-api/v2`` server (upstream gpt4free or g4f-jupyter) as a provider.

POSTs the conversation, then relays the typed events parsed from the reply, whether the
server frames them as NDJSON (era A, ours) or SSE (upstream since 2025-12).

The remote server's own providers are choosable: its live model list names each model
plainly (the remote chooses the provider) and as ``<remote provider>:<model>`` (that
provider answers). A catalog entry may also pin one remote provider with
``[settings] remote_provider = "Name"``, and a request may name one as ``remote_provider``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import os
import time
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

from ...errors import BadRequestError
from ..events import Event, ProviderInfo, line_batches, loads, parse_line
from ..provider import ChatMessage, Provider
from .http import raise_for_status, request, timeout

__all__ = ["BackendApiProvider", "data_uri"]

_NOT_FORWARDED = {"api_key", "api_base", "media", "remote_provider"}
_PROVIDERS_TTL = 300.0  # seconds the remote's provider names are trusted before asking again
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


def _model_names(data: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """Plain model names and ``(provider, model)`` pairs from ``/models`` of either era.

    Era P answers ``{provider: [ids]}``; era A (and ours) a list of ``{name, providers}``.
    """
    pairs: list[tuple[str, str]] = []
    if isinstance(data, dict):
        pairs = [(str(p), str(m)) for p, ids in data.items() if isinstance(ids, list) for m in ids]
        return sorted({m for _, m in pairs}), sorted(set(pairs))
    plain: list[str] = []
    for entry in data if isinstance(data, list) else ():
        if isinstance(entry, dict) and entry.get("name"):
            plain.append(str(entry["name"]))
            providers = entry.get("providers")
            pairs += [(str(p), str(entry["name"])) for p in providers if p] if isinstance(providers, list) else []
    return plain, sorted(set(pairs))


class BackendApiProvider(Provider):
    """Driver ``backend_api``."""

    _remote: tuple[frozenset[str], float] = (frozenset(), float("-inf"))  # provider names, when learnt

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

    async def _get_json(self, path: str) -> Any:
        url = f"{self._server()}/backend-api/v2/{path}"
        async with request(self.name, "GET", url, headers=self._headers(), timeout=_LIST_TIMEOUT) as response:
            await raise_for_status(response, self.name)
            return loads(await response.read())

    async def get_models(self, api_key: str | None = None, api_base: str | None = None) -> list[str]:
        """The remote's models: each plainly, then as ``<remote provider>:<model>`` for each provider offering it.

        With a pinned ``remote_provider``, only that provider's models (``/models/<provider>``).
        """
        pinned = self.spec.settings.get("remote_provider")
        if pinned:
            entries = await self._get_json(f"models/{quote(str(pinned), safe='')}")
            ids = (e.get("model") or e.get("id") for e in entries if isinstance(e, dict))  # era A / era P key
            return [str(i) for i in ids if i]
        plain, routed = _model_names(await self._get_json("models"))
        self._remote = (frozenset(p for p, _ in routed), time.monotonic())
        return plain + [f"{p}:{m}" for p, m in routed]

    async def _remote_providers(self) -> set[str]:
        """The remote's provider names (from its model list), asked again after :data:`_PROVIDERS_TTL`."""
        if time.monotonic() - self._remote[1] > _PROVIDERS_TTL:
            with contextlib.suppress(Exception):  # unreachable now: the chat request will say so
                await self.get_models()
        return set(self._remote[0])

    async def _route(self, model: str, requested: Any) -> tuple[str | None, str]:
        """``(remote provider or None, model)`` for a request: asked for, pinned, or ``<provider>:<model>``."""
        chosen = requested or self.spec.settings.get("remote_provider")
        if chosen:
            return str(chosen), model
        head, sep, tail = model.partition(":")
        if sep and head in await self._remote_providers():
            return head, tail
        return None, model

    async def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncGenerator[Event, None]:
        media = [[data_uri(data, name), name] for data, name in kwargs.get("media") or ()]
        remote_provider, model = await self._route(model, kwargs.get("remote_provider"))
        body = {"model": model, "messages": messages, "media": media, "api_key": self.api_key(kwargs.get("api_key"))}
        body.update(_json_safe(kwargs))
        if remote_provider:
            body["provider"] = remote_provider
        url = f"{self._server()}/backend-api/v2/conversation"
        async with request(self.name, "POST", url, json=body, headers=self._headers(), timeout=_TIMEOUT) as response:
            await raise_for_status(response, self.name)
            async for lines in line_batches(response.content.iter_any()):
                for line in lines:
                    event = parse_line(line)
                    if event is None or (isinstance(event, ProviderInfo) and not event.name):
                        continue
                    yield event
