"""The chat runner: resolve provider and model, stream, fall back, and keep the event order.

Order on the wire (protocol "Our decisions"): ``provider``, ``parameters``?, the stream
events, ``usage``, ``finish``, then this request's own ``log`` lines. ``error``/``auth``
end the stream. Failures never escape as exceptions in the middle of a stream.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    BadRequestError,
    G4FError,
    MissingAuthError,
    ModelNotFoundError,
    NotFoundError,
    NotSupportedError,
    PayloadTooLargeError,
    ProviderHTTPError,
    ProviderNotFoundError,
    ProviderUnreachableError,
)
from .events import (
    Auth,
    Content,
    Conversation,
    Error,
    Event,
    Finish,
    Log,
    Media,
    Parameters,
    ProviderInfo,
    Reasoning,
    Usage,
)
from .images import generate_images, makes_images
from .provider import ChatMessage, Provider
from .registry import Registry, get_registry

__all__ = [
    "Candidate",
    "ChatRequest",
    "ProviderFailedError",
    "estimate_tokens",
    "message_text",
    "plan_chat",
    "raise_for_event",
    "run_chat",
    "split_model",
]

log = logging.getLogger(__name__)


@dataclass
class ChatRequest:
    """One conversation turn, independent of the front door that made it."""

    messages: list[ChatMessage]
    model: str | None = None
    provider: str | None = None
    api_key: str | Mapping[str, str] | None = None  # one key, or one per provider name
    api_base: str | None = None
    ignored: tuple[str, ...] = ()
    media: list[tuple[bytes | str, str]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    web_search: bool | str = False  # True: search the prompt; a string: search that query
    action: str | None = None  # "next" (default), "continue" or "variant", as the page sends it
    conversation: dict[str, Any] | None = None  # the state a provider returned last turn, handed back
    download_media: bool = True  # copy generated media into the data directory

    def key_for(self, provider: str) -> str | None:
        """The key this request gives ``provider``: its entry (any case) when keys are per provider."""
        if isinstance(self.api_key, Mapping):
            return next((v for k, v in self.api_key.items() if k.lower() == provider.lower() and v), None)
        return self.api_key


class ProviderFailedError(G4FError):
    """A provider's stream ended in an error: a failure upstream of us, so a gateway error."""

    status = 502


@dataclass(frozen=True)
class Candidate:
    provider: Provider
    model: str


def split_model(request: ChatRequest, registry: Registry) -> tuple[str | None, str | None]:
    """``provider:model`` in the model field names both (unless a provider is given).

    Only a known provider name splits: model ids such as ``llama3.2:3b`` contain colons too.
    """
    provider, model = request.provider or None, request.model or None
    if model and not provider and ":" in model:
        head, _, tail = model.partition(":")
        if head.lower() in {name.lower() for name in registry.names}:
            return head, tail or None
    return provider, model


def plan_chat(request: ChatRequest, registry: Registry | None = None) -> list[Candidate]:
    """The providers to try, in order. Raises before any streaming for bad input.

    :class:`ProviderNotFoundError` for an unknown provider, :class:`ModelNotFoundError`
    for a model no provider offers, :class:`MissingAuthError` when the only candidates
    lack a key.
    """
    registry = registry or get_registry()
    provider_name, model = split_model(request, registry)
    ignored = {name.lower() for name in request.ignored}
    if provider_name:
        provider = registry.get(provider_name)
        if not provider.spec.live_models and model and model not in provider.models:
            choices = ", ".join(provider.models) or "(none listed)"
            raise ModelNotFoundError(f"{provider.name} has no model {model!r}; choose one of: {choices}")
        candidates = [Candidate(provider, provider.get_model(model))]
    elif model:
        offering = [p for p in registry.providers() if model in p.models and p.name.lower() not in ignored]
        if not offering:
            known = sorted({m for p in registry.providers() for m in p.models})
            raise ModelNotFoundError(f"no provider offers model {model!r}; known models: {', '.join(known)}")
        candidates = [Candidate(p, model) for p in offering]
    else:
        candidates = _automatic(registry, ignored)
    usable = [c for c in candidates if c.provider.missing_key_message(request.key_for(c.provider.name)) is None]
    if not usable:
        first = candidates[0].provider
        first.require_api_key(request.key_for(first.name))  # raises the precise message
    return usable


def _automatic(registry: Registry, ignored: set[str]) -> list[Candidate]:
    """No provider and no model named: the catalog's default; if the client ignores it, the others in order."""
    default = registry.get(registry.default_name)
    if default.name.lower() not in ignored:
        return [Candidate(default, default.default_model)]
    others = [
        Candidate(p, p.default_model)
        for p in registry.providers()
        if p.name.lower() not in ignored and p.default_model
    ]
    if not others:
        raise BadRequestError("every provider with a default model is in ignored; leave one to choose from")
    return others


def message_text(message: ChatMessage) -> str:
    """The text of a message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def estimate_tokens(text: str) -> int:
    """A provider-independent estimate (about four characters per token)."""
    return (len(text) + 3) // 4


CONTINUE_PROMPT = "Carry on exactly where your previous answer stopped, without repeating any of it."
"""What ``action: "continue"`` asks of a provider that cannot continue by itself."""


def _state_for(conversation: Mapping[str, Any] | None, provider: str) -> Any:
    """The state ``provider`` returned last turn: its entry when keyed by provider name (as the
    ``conversation`` event sends it), else the object as the client sent it."""
    if not conversation:
        return None
    entry = next((v for k, v in conversation.items() if k.lower() == provider.lower()), None)
    return entry if isinstance(entry, dict) else conversation


def _provider_call(request: ChatRequest, provider: Provider) -> tuple[list[ChatMessage], dict[str, Any]]:
    """The messages and keyword arguments one provider is called with.

    Another ``/backend-api/v2`` server is told ``continue``/``variant`` and continues by itself; for the
    others, ``continue`` is a request to carry on after the last (assistant) message.
    """
    kwargs = dict(request.options)
    if request.media:
        kwargs["media"] = request.media
    state = _state_for(request.conversation, provider.name)
    if state is not None:
        kwargs["conversation"] = state
    messages = request.messages
    if provider.spec.driver == "backend_api":
        if request.action in ("continue", "variant"):  # "next", the default, needs no saying
            kwargs["action"] = request.action
    elif request.action == "continue" and messages and messages[-1].get("role") == "assistant":
        messages = [*messages, {"role": "user", "content": CONTINUE_PROMPT}]
    return messages, kwargs


def _error_event(exc: BaseException) -> Event:
    if isinstance(exc, MissingAuthError) or (isinstance(exc, ProviderHTTPError) and exc.status == 401):
        return Auth(message=str(exc))
    name = type(exc).__name__
    return Error(error=name, message=f"{name}: {exc}")


# Errors that keep their own status when a stream reports them; any other failure is the provider's (502).
_BY_NAME: dict[str, type[G4FError]] = {
    cls.__name__: cls
    for cls in (
        BadRequestError, NotFoundError, ProviderNotFoundError, ModelNotFoundError,
        PayloadTooLargeError, NotSupportedError, ProviderUnreachableError,
    )
}


def raise_for_event(event: Event) -> None:
    """Raise the exception a terminal ``auth``/``error`` event stands for (the inverse of streaming one).

    Callers that want the whole answer as a value turn a failed stream back into an
    exception, with the status ``/conversation`` would have answered before streaming:
    401 for ``auth``, the error's own for ours (400/404/502), else 502.
    """
    if isinstance(event, Auth):
        raise MissingAuthError(event.message)
    if isinstance(event, Error):
        raise _BY_NAME.get(event.error, ProviderFailedError)(event.message)


async def run_chat(
    request: ChatRequest,
    candidates: list[Candidate] | None = None,
    registry: Registry | None = None,
) -> AsyncGenerator[Event, None]:
    """Stream one turn as typed events, trying ``candidates`` in order until one answers.

    This request's log lines always come last, whichever way the turn ended.
    """
    logs: list[str] = []
    async with contextlib.aclosing(_turn(request, candidates, registry, logs)) as events:
        async for event in events:
            yield event
    for line in logs:
        yield Log(line)


async def _turn(
    request: ChatRequest, candidates: list[Candidate] | None, registry: Registry | None, logs: list[str]
) -> AsyncGenerator[Event, None]:
    """The events of one turn up to ``finish`` (or a terminal error); log lines are collected in ``logs``."""
    try:
        candidates = candidates if candidates is not None else plan_chat(request, registry)
    except G4FError as exc:
        yield _error_event(exc)
        return
    failure: BaseException | None = None
    for candidate in candidates:
        provider = candidate.provider
        usage: Usage | None = None  # a failed candidate's figures must not leak into the answer
        finish: Finish | None = None
        completion: list[str] = []
        yield ProviderInfo(name=provider.name, model=candidate.model, label=provider.label, url=provider.url)
        params = provider.parameters()
        if params:
            yield Parameters(params)
        started = False
        messages, kwargs = _provider_call(request, provider)
        key = request.key_for(provider.name)
        try:
            if makes_images(provider, candidate.model):
                prompt = str(kwargs.get("prompt") or (message_text(messages[-1]) if messages else ""))
                stream = generate_images(provider, candidate.model, prompt, key, request.api_base, kwargs)
            else:
                stream = provider.create_async_generator(
                    candidate.model, messages, api_key=key, api_base=request.api_base, **kwargs
                )
            async with contextlib.aclosing(stream):
                async for event in stream:
                    if isinstance(event, Usage):
                        usage = event
                    elif isinstance(event, Finish):
                        finish = event
                    elif isinstance(event, Log):
                        logs.append(event.log)
                    elif isinstance(event, (Error, Auth)):
                        yield event
                        return
                    elif isinstance(event, Conversation):  # keyed by provider, to come back next turn
                        yield Conversation({provider.name: event.conversation})
                    else:
                        if isinstance(event, (Content, Media, Reasoning)):
                            started = True
                        if isinstance(event, Content):
                            completion.append(event.content)
                        yield event
        except Exception as exc:
            log.debug("provider %s failed", provider.name, exc_info=True)
            if started:
                yield _error_event(exc)
                return
            failure = exc
            logs.append(f"{provider.name}: {type(exc).__name__}: {exc}")
            continue
        if usage is None:
            prompt_tokens = estimate_tokens("".join(message_text(m) for m in request.messages))
            completion_tokens = estimate_tokens("".join(completion))
            usage = Usage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens, estimated=True)
        yield Usage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            estimated=usage.estimated,
            extra={**usage.extra, "model": candidate.model, "provider": provider.name},
        )
        yield finish or Finish("stop")
        return
    yield _error_event(failure or RuntimeError("no provider could answer"))
