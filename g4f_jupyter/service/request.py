"""The one way any door makes a chat request: a typed schema plus the builder that applies it.

The ``/conversation`` body (with its headers and multipart files), ``/create``'s
parameters and ``ask()``/``stream()`` keyword arguments (so the magics and widgets too)
all become a :class:`ChatRequest` here: validated field by field before anything
streams, with the operator's default provider and model filled in where the request
names none. Every door therefore falls back the same way and fails with the same 400s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..core.runner import ChatRequest
from ..errors import BadRequestError
from .buckets import check_upload_limits
from .catalog import AUTOMATIC, pick_demo_provider
from .context import ContextItem, with_context
from .media import is_media_name
from .query import bool_or_text
from .settings import OperatorSettings, current_settings
from .validation import HttpBase, SafeJson, Text, check_http_base, json_object, validate

__all__ = ["PROVIDER_OPTIONS", "ChatBody", "attachments", "build_request", "header"]


def _blank_is_none(value: Any) -> Any:
    """Clients send ``""`` for "not chosen" (the page's empty selects)."""
    return None if value == "" else value


def _automatic_is_none(value: Any) -> Any:
    """``AnyProvider`` (any case) is automatic choice, as naming no provider is."""
    value = _blank_is_none(value)
    return None if isinstance(value, str) and value.lower() == AUTOMATIC.lower() else value


Choice = Annotated[Text | None, BeforeValidator(_blank_is_none)]
BaseChoice = Annotated[HttpBase | None, BeforeValidator(_blank_is_none)]
ProviderName = Annotated[Text | None, BeforeValidator(_automatic_is_none)]
Nonnegative = Annotated[float, Field(ge=0)]


class Part(BaseModel):
    """One part of a message whose content is a list (text, image_url, …, or a typeless
    ``{"bucket_id", "url"}`` bucket reference, protocol §4.5; other keys kept)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, SafeJson]

    type: Text | None = None
    text: Text | None = None


class Message(BaseModel):
    """An OpenAI-style message; keys beyond ``role``/``content`` (``name``, ``tool_calls``) are kept."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, SafeJson]

    role: Text
    content: Text | list[Part]


class ChatBody(BaseModel):
    """The ``/conversation`` JSON body (protocol §2.2) with every known field's type and range.

    Values arrive in the types JSON gives them; a string where a number belongs is
    converted when it reads as one (``"0.5"``), else refused. Unknown fields are forwarded
    to the provider untouched, as the protocol says, if they are JSON.
    """

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, protected_namespaces=())
    __pydantic_extra__: dict[str, SafeJson]

    messages: list[Message] = Field(min_length=1, max_length=10_000)
    model: Choice = None
    provider: ProviderName = None
    api_key: Choice | dict[Text, Text | None] = None  # per provider; null means "no key" for that one
    api_base: BaseChoice = None
    base_url: BaseChoice = None
    ignored: list[Text] | None = None
    media: list[tuple[Text, Text]] | None = None
    # Steer the page or the server, not the model.
    id: Text | int | None = None
    conversation_id: Text | None = None
    conversation: dict[Text, SafeJson] | None = None
    action: Text | None = None
    download_media: bool | None = None
    debug_mode: bool | None = None
    aspect_ratio: Text | None = None
    prompt: Text | None = None
    web_search: bool | Text | None = None
    user: Text | None = None
    stream: bool | None = None
    proxy: SafeJson = None
    tool_calls: list[dict[Text, SafeJson]] | None = None
    # Cells, outputs, files, variables: messages of their own, trimmed to the model (service/context).
    context: list[ContextItem] | None = Field(None, max_length=200)
    # Provider options: checked here so that a bad one is a 400 before the stream, not an error event.
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=10_000_000)
    top_p: float | None = Field(None, ge=0, le=1)
    top_k: int | None = Field(None, ge=0, le=1_000_000)
    min_p: float | None = Field(None, ge=0, le=1)
    stop: Text | list[Text] | None = Field(None, max_length=64)
    seed: int | None = Field(None, ge=-(2**63), le=2**64 - 1)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    repeat_penalty: Nonnegative | None = Field(None, le=10)
    n: int | None = Field(None, ge=1, le=16)
    tools: list[dict[Text, SafeJson]] | None = None
    response_format: dict[Text, SafeJson] | None = None


PROVIDER_OPTIONS = (
    "temperature", "max_tokens", "top_p", "top_k", "min_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "repeat_penalty", "n", "tools", "response_format",
)
"""Fields of :class:`ChatBody` that go to the provider (with the unknown extra fields)."""


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header under either spelling (``x-api-key`` and ``x_api_key``): Tornado keeps both."""
    for spelling in (name, name.replace("-", "_")):
        value = headers.get(spelling)
        if value:
            return value
    return None


def _api_key(
    chosen: str | dict[str, str | None] | None, headers: Mapping[str, str]
) -> str | dict[str, str] | None:
    """The body's key (a string, or one per provider name), else ``x-api-key``, else ``Authorization: Bearer``.

    In a per-provider object a null or empty key means "no key" for that provider (upstream's
    current page sends ``{"Groq": null, …}`` for every provider the user gave no key).
    """
    if isinstance(chosen, dict):
        keys = {name: key for name, key in chosen.items() if key}
        if keys:
            return keys
    elif chosen:
        return chosen
    key = header(headers, "x-api-key")
    authorization = headers.get("Authorization", "")
    if not key and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    return key or None


def _header_base(headers: Mapping[str, str]) -> str | None:
    """``x-api-base`` (either spelling), checked as the body's ``api_base`` is."""
    value = header(headers, "x-api-base")
    if value is None:
        return None
    try:
        return check_http_base(value)
    except ValueError as exc:
        raise BadRequestError(f"x-api-base: {exc}") from None


def _media(
    body: ChatBody, files: Sequence[tuple[bytes | str, str]], settings: OperatorSettings
) -> list[tuple[bytes | str, str]]:
    """Attached files that are media, within the operator's upload limits, then the body's own ``media`` pairs."""
    attached = [(name, data) for data, name in files if is_media_name(name)]
    check_upload_limits(
        [(name, data if isinstance(data, bytes) else data.encode("utf-8")) for name, data in attached],
        settings.upload_limits(),
    )
    return [(data, name) for name, data in attached] + list(body.media or ())


def _switch(value: bool | str | None) -> bool | str:
    """``web_search`` as a switch or a query: the strings ``"true"``/``"false"`` are booleans, not queries."""
    return bool_or_text(value) if isinstance(value, str) else bool(value)


def _with_defaults(request: ChatRequest, settings: OperatorSettings) -> ChatRequest:
    """The operator's default provider (and model) for a request that names no provider.

    A request that names only a model keeps automatic provider choice for that model,
    except in demo mode, where a demo provider (one offering the model, at random) answers.
    """
    provider: str | None
    model: str | None
    if settings.demo_mode:
        provider, model, pin = pick_demo_provider(request.model, settings.demo_provider_names()), None, True
    else:
        provider, model, pin = settings.default_provider or None, settings.default_model or None, False
    if request.provider or not provider or (request.model and not pin):
        return request
    return dataclasses.replace(request, provider=provider, model=request.model or model)


def build_request(
    body: Any,
    headers: Mapping[str, str] | None = None,
    files: Sequence[tuple[bytes | str, str]] = (),
    settings: OperatorSettings | None = None,
) -> ChatRequest:
    """A validated :class:`ChatRequest` from a ``/conversation``-shaped body, for every door.

    ``headers`` supply ``x-api-key``/``Authorization``/``x-api-base``/``x-ignored`` when the body
    does not; ``files`` are ``(data, filename)`` attachments (only media are kept); ``settings``
    are the operator's (read from the environment when not given, as in a kernel).
    """
    headers = headers or {}
    settings = settings or current_settings()
    data = {k: v for k, v in json_object(body).items() if v is not None}
    checked = validate(ChatBody, data)
    ignored = checked.ignored if checked.ignored is not None else (header(headers, "x-ignored") or "").split()
    options = {k: getattr(checked, k) for k in PROVIDER_OPTIONS if getattr(checked, k) is not None}
    options.update(checked.__pydantic_extra__ or {})
    # For image models: the page's raw prompt and window shape (other drivers ignore them).
    options.update({k: getattr(checked, k) for k in ("prompt", "aspect_ratio") if getattr(checked, k)})
    request = ChatRequest(
        messages=[m.model_dump(exclude_unset=True) for m in checked.messages],
        model=checked.model,
        provider=checked.provider,
        api_key=_api_key(checked.api_key, headers),
        api_base=checked.api_base or checked.base_url or _header_base(headers),
        ignored=tuple(ignored),
        media=_media(checked, files, settings),
        options=options,
        web_search=_switch(checked.web_search),
        action=checked.action,
        conversation=checked.conversation,
        download_media=checked.download_media is not False,
    )
    return with_context(_with_defaults(request, settings), checked.context or ())


class Attachments(BaseModel):
    """Files a Python caller attaches (``ask(media=…)``): raw bytes or a data URI, with a file name."""

    media: list[tuple[bytes | Text, Text]]


def attachments(media: Any) -> list[tuple[bytes | str, str]]:
    """``media`` checked as ``(bytes or data URI, filename)`` pairs, else a 400 naming the item."""
    return list(validate(Attachments, {"media": media}).media)
