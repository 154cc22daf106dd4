"""Inline code completion: the ``/complete`` body, who answers it, and the suggestion as stream events.

A completion takes the one request path: its provider and model (when it names none, the
operator's ``completion_provider``/``completion_model``: the embedded model by default),
keys, base URL and options are built and checked by :mod:`.request`, the operator's policy
admits it (:mod:`.policy`), and the runner streams it with the chat's events (``provider``,
``content``, ``usage`` with ``prompt_tokens_details.cached_tokens``, ``finish``, or
``error``), falling back as a chat does. Only the asking differs: the embedded model
continues the code (:mod:`..core.drivers.local_complete`), an OpenAI-compatible server fills
in the middle through ``/completions`` where it can (:mod:`..core.drivers.openai_complete`),
and any other provider gets a chat request whose answer is cut to the code at the cursor.
Every suggestion ends with its statement or block (:mod:`..core.code_end`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.code_context import CodeContext, dropped, from_line_start
from ..core.code_end import Suggestion
from ..core.drivers import local_complete, openai_complete
from ..core.drivers.local import LocalProvider
from ..core.drivers.openai import OpenAIProvider
from ..core.events import Content, Event
from ..core.provider import ChatMessage, Provider
from ..core.runner import Candidate, ChatRequest, run_chat
from .fences import code_blocks, code_of
from .policy import admit
from .request import build_request
from .settings import OperatorSettings, current_settings
from .validation import Text, json_object, validate

__all__ = ["PREPARE", "CompleteBody", "chat_messages", "open_completion", "prepare_completion", "prepares"]

_TEXT_LIMIT = 1_000_000  # characters of code around the cursor (the body's own limit is checked first)
_CHAT_CONTEXT_CHARS = 6_000  # code before the cursor a chat request carries (and 2,000 after it)
_CHAT_MAX_TOKENS = 256  # a chat model may wrap the code in a fence and a sentence
PREPARE = "prepare"
"""The ``action`` that reads a cell's context ahead of the first keystroke."""


class CompleteBody(BaseModel):
    """The ``/complete`` JSON body: the code around the cursor, and optionally who answers and how much."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    prefix: Text = Field(max_length=_TEXT_LIMIT)
    suffix: Text = Field(max_length=_TEXT_LIMIT)
    language: Text = Field(max_length=64)
    path: Text = Field(max_length=4096)
    cell_context: Text | None = Field(None, max_length=_TEXT_LIMIT)
    provider: Text | None = None
    model: Text | None = None
    max_tokens: int | None = Field(None, ge=1, le=4096)
    stop: Text | list[Text] | None = None
    api_key: Text | dict[Text, Text] | None = None
    api_base: Text | None = None
    action: Literal["prepare"] | None = None  # read the context ahead, suggest nothing (a cell got the focus)


_SYSTEM = (
    "You complete code. Reply with only the code that goes where <CURSOR> is: no explanation, no Markdown, "
    "and nothing of what is already written before or after the cursor. End with the statement or block "
    "the cursor is in."
)


def chat_messages(code: CodeContext) -> list[ChatMessage]:
    """The request a chat model gets for ``code``: the code with a ``<CURSOR>`` mark, and how to answer."""
    before = code.prefix
    before = from_line_start(before, dropped(len(before), _CHAT_CONTEXT_CHARS))
    above = f"The cell above it:\n{code.cell_context.strip()}\n\n" if code.cell_context.strip() else ""
    where = f" in {code.path}" if code.path else ""
    user = f"{above}{code.language} code{where}:\n{before}<CURSOR>{code.suffix[:2000]}"
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def _code_at_cursor(answer: str, code: CodeContext) -> str:
    """A chat answer's code without what the cursor's line already holds, which chat models tend to repeat."""
    text = code_of(answer).replace("<CURSOR>", "")
    head = code.cursor.head.strip()
    stripped = text.lstrip()
    if head and stripped.startswith(head):
        return stripped[len(head) :]
    return text


def _chat_suggestion(answer: str, code: CodeContext, stops: tuple[str, ...]) -> tuple[str, bool]:
    """The suggestion in a chat answer so far, and whether it is complete (its statement or block ended)."""
    suggestion = Suggestion(code.cursor, stops)
    text = suggestion.add(_code_at_cursor(answer, code))
    return text + suggestion.finish(), suggestion.complete


async def _from_chat(
    provider: Provider, model: str, code: CodeContext, messages: list[ChatMessage], options: Mapping[str, Any]
) -> AsyncGenerator[Event, None]:
    """Ask ``provider`` in a chat; hand over the code at the cursor once it is complete, or when the answer ends.

    An answer's code is known for sure only inside a fence (or at the end of an answer without
    one), so the suggestion comes in one piece.
    """
    stop = options.get("stop") or ()
    stops = (stop,) if isinstance(stop, str) else tuple(stop)
    kwargs = {**options, "max_tokens": options.get("max_tokens") or _CHAT_MAX_TOKENS}
    answer = ""
    async with contextlib.aclosing(provider.create_async_generator(model, messages, **kwargs)) as events:
        async for event in events:
            if isinstance(event, Content):
                answer += event.content
                if code_blocks(answer) and _chat_suggestion(answer, code, stops)[1]:
                    break  # closing the chat's stream stops the provider
            elif event.type in ("usage", "finish", "error", "auth", "log"):
                yield event  # reasoning, conversation state and the like are no part of a suggestion
    text, _ = _chat_suggestion(answer, code, stops)
    if text:
        yield Content(text)


async def _suggest(
    provider: Provider, model: str, code: CodeContext, messages: list[ChatMessage], options: dict[str, Any]
) -> AsyncGenerator[Event, None]:
    """The suggestion from ``provider``: its own completion call where it has one, else its chat."""
    if isinstance(provider, LocalProvider):
        native = local_complete.complete_code(provider, code, **options)
    elif isinstance(provider, OpenAIProvider):
        native = openai_complete.complete_code(provider, model, code, **options)
    else:
        native = _from_chat(provider, model, code, messages, options)
    try:
        async with contextlib.aclosing(native):
            async for event in native:
                yield event
    except openai_complete.CompletionsUnavailable:  # raised before any event: the chat answers instead
        async with contextlib.aclosing(_from_chat(provider, model, code, messages, options)) as events:
            async for event in events:
                yield event


class _Completer(Provider):
    """A catalog provider asked for a code completion; the runner calls it as it calls any provider."""

    def __init__(self, provider: Provider, code: CodeContext) -> None:
        super().__init__(provider.spec)
        self.provider = provider
        self.code = code

    def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncGenerator[Event, None]:
        return _suggest(self.provider, model, self.code, messages, kwargs)


def _completion(
    body: Any, headers: Mapping[str, str] | None, settings: OperatorSettings | None
) -> tuple[CodeContext, ChatRequest, OperatorSettings]:
    """The code at the cursor and the request for it, validated like a chat's."""
    settings = settings or current_settings()
    checked = validate(CompleteBody, json_object(body))
    code = CodeContext(checked.prefix, checked.suffix, checked.language, checked.path, checked.cell_context or "")
    named = bool(checked.provider or checked.model)
    request = build_request(
        {
            "messages": chat_messages(code),
            "provider": checked.provider if named else settings.completion_provider or None,
            "model": checked.model if named else settings.completion_model or None,
            "max_tokens": checked.max_tokens,
            "stop": checked.stop,
            "api_key": checked.api_key,
            "api_base": checked.api_base,
        },
        headers,
        (),
        settings,
    )
    return code, request, settings


def prepares(body: Any) -> bool:
    """Whether a ``/complete`` body asks to read ahead (``"action": "prepare"``) rather than for a suggestion."""
    return isinstance(body, dict) and body.get("action") == PREPARE


def open_completion(
    body: Any, headers: Mapping[str, str] | None = None, settings: OperatorSettings | None = None
) -> AsyncGenerator[Event, None]:
    """The suggestion's event stream for a ``/complete`` body; bad input, an unknown provider or model, a
    missing key or the policy's refusal raise here, before any output."""
    code, request, settings = _completion(body, headers, settings)
    admission = admit(request, settings)
    completers = [Candidate(_Completer(c.provider, code), c.model) for c in admission.candidates]
    return admission.metered(run_chat(request, completers), request)


async def prepare_completion(
    body: Any, headers: Mapping[str, str] | None = None, settings: OperatorSettings | None = None
) -> None:
    """Have the embedded model read the context of a ``/complete`` body ahead of the first keystroke.

    Checked and refused as a completion would be; nothing is generated, no usage recorded and no
    answer slot held. Other providers keep no context of ours: there is nothing for them to do.
    """
    code, request, settings = _completion(body, headers, settings)
    admission = admit(request, settings)
    if admission.slot is not None:
        admission.slot.release()
    provider = admission.candidates[0].provider
    if isinstance(provider, LocalProvider):
        await local_complete.read_ahead(provider, code)
