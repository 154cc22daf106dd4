"""Image models of OpenAI-compatible providers: ``POST {api_base}/images/generations``.

A model listed in a provider's ``image_models`` makes pictures, not text, so the runner
calls this instead of the chat endpoint. Each picture becomes one :class:`Media` event
(a ``data:`` URI for ``b64_json``, else the URL the server gave); saving them into the
data directory is the service layer's job, as for media relayed from another server.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from ..errors import BadRequestError
from .drivers.http import raise_for_status, request, timeout
from .events import Event, Finish, Media, loads
from .provider import Provider

__all__ = ["IMAGE_DRIVERS", "generate_images", "makes_images"]

IMAGE_DRIVERS = frozenset({"openai"})
"""Drivers whose servers speak the OpenAI images API."""
_PASSTHROUGH = ("n", "size", "quality", "style", "background", "seed")
_SIZES = {"1:1": "1024x1024", "16:9": "1792x1024", "9:16": "1024x1792"}  # the page's aspect_ratio
_TIMEOUT = timeout(300.0)  # one image can take minutes, with nothing sent meanwhile


def makes_images(provider: Provider, model: str) -> bool:
    return provider.spec.driver in IMAGE_DRIVERS and model in provider.spec.image_models


async def generate_images(
    provider: Provider, model: str, prompt: str, api_key: str | None, api_base: str | None, options: dict[str, Any]
) -> AsyncGenerator[Event, None]:
    """The pictures for ``prompt``, then ``finish``; the server's errors raise as for a chat."""
    if not prompt.strip():
        raise BadRequestError("an image model needs a prompt")
    base = provider.api_base(api_base)
    if not base:
        raise BadRequestError(f"{provider.name} needs a base URL: pass api_base (or set {provider.spec.api_base_env})")
    headers = dict(provider.spec.headers)
    key = provider.require_api_key(api_key)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body: dict[str, Any] = {"model": model, "prompt": prompt}
    body.update({k: options[k] for k in _PASSTHROUGH if options.get(k) is not None})
    if "size" not in body and options.get("aspect_ratio") in _SIZES:
        body["size"] = _SIZES[options["aspect_ratio"]]
    url = f"{base}/images/generations"
    async with request(provider.name, "POST", url, json=body, headers=headers, timeout=_TIMEOUT) as response:
        await raise_for_status(response, provider.name)
        data = loads(await response.read())
    urls = []
    for item in data.get("data") or () if isinstance(data, dict) else ():
        if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
            urls.append(f"data:image/png;base64,{item['b64_json']}")
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            urls.append(item["url"])
    if not urls:
        raise ValueError(f"{provider.name} answered without an image")
    yield Media(urls=tuple(urls), alt=prompt)
    yield Finish("stop")
