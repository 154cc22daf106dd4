"""Typed stream events and their one wire format (g4f-protocol §2.4).

Providers, the chat runner, magics and widgets work with these objects; only
:func:`to_wire` turns one into the JSON object of the protocol (:func:`encode` frames
them), and only :func:`parse_line` turns a received line (NDJSON or SSE ``data:``) back
into one. :func:`line_batches` and :func:`sse_data` split received bytes into lines and
server-sent events for the drivers.

Every relayed token passes through here, so JSON is orjson's: ~0.3 µs to write an event
and ~1.5 µs to read a provider's chunk, where the standard library takes ~6 µs for each.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import orjson

__all__ = [
    "TERMINAL_TYPES",
    "Auth",
    "Content",
    "Conversation",
    "Error",
    "Event",
    "Finish",
    "Log",
    "Media",
    "Message",
    "Parameters",
    "Preview",
    "ProviderInfo",
    "RawEvent",
    "Reasoning",
    "Suggestions",
    "Synthesize",
    "Title",
    "Usage",
    "dumps",
    "encode",
    "frame",
    "from_wire",
    "line_batches",
    "loads",
    "parse_line",
    "sse_data",
    "to_wire",
]


class Event:
    """Base of every stream event; ``type`` is the protocol's event type."""

    type: ClassVar[str] = ""


@dataclass(frozen=True)
class ProviderInfo(Event):
    name: str
    model: str = ""
    label: str = ""
    url: str = ""
    type: ClassVar[str] = "provider"


@dataclass(frozen=True)
class Parameters(Event):
    parameters: dict[str, Any]
    type: ClassVar[str] = "parameters"


@dataclass(frozen=True)
class Content(Event):
    """A text delta."""

    content: str
    type: ClassVar[str] = "content"


@dataclass(frozen=True)
class Media(Event):
    """Generated or attached media: on the wire a ``content`` event with ``urls``/``alt``."""

    urls: tuple[str, ...]
    alt: str = ""
    content: str = ""
    type: ClassVar[str] = "content"

    def __post_init__(self) -> None:
        # The wire always carries the rendered Markdown; filling it in here keeps a parsed event equal to the sent one
        # and lets every consumer read ``content`` as it would for a text event.
        if not self.content:
            object.__setattr__(self, "content", "\n".join(f"[![{self.alt}]({u})]({u})" for u in self.urls))


@dataclass(frozen=True)
class Reasoning(Event):
    """Reasoning is flattened on the wire: no ``reasoning`` key."""

    token: str | None = None
    status: str | None = None
    label: str | None = None
    is_thinking: str | None = None
    type: ClassVar[str] = "reasoning"


@dataclass(frozen=True)
class Preview(Event):
    preview: str
    urls: tuple[str, ...] = ()
    alt: str = ""
    type: ClassVar[str] = "preview"


@dataclass(frozen=True)
class Conversation(Event):
    conversation: dict[str, Any]
    type: ClassVar[str] = "conversation"


@dataclass(frozen=True)
class Title(Event):
    title: str
    type: ClassVar[str] = "title"


@dataclass(frozen=True)
class Suggestions(Event):
    suggestions: tuple[str, ...]
    type: ClassVar[str] = "suggestions"


@dataclass(frozen=True)
class Synthesize(Event):
    provider: str
    data: dict[str, Any] = field(default_factory=dict)
    type: ClassVar[str] = "synthesize"


@dataclass(frozen=True)
class Usage(Event):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    type: ClassVar[str] = "usage"


@dataclass(frozen=True)
class Finish(Event):
    reason: str = "stop"
    type: ClassVar[str] = "finish"


@dataclass(frozen=True)
class Log(Event):
    log: str
    type: ClassVar[str] = "log"


@dataclass(frozen=True)
class Message(Event):
    """A non-fatal error reported by a provider; the stream goes on."""

    error: str
    message: str
    type: ClassVar[str] = "message"


@dataclass(frozen=True)
class Error(Event):
    """A fatal error: the stream ends after it."""

    error: str
    message: str
    type: ClassVar[str] = "error"


@dataclass(frozen=True)
class Auth(Event):
    """Missing or refused credentials: the stream ends after it."""

    message: str
    auth: str = "MissingAuthError"
    type: ClassVar[str] = "auth"


@dataclass(frozen=True)
class RawEvent(Event):
    """Any other event type received from another server, relayed as it came."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)


TERMINAL_TYPES = frozenset({"error", "auth"})


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def to_wire(event: Event) -> dict[str, Any]:
    """The protocol's JSON object for ``event`` (§2.4: ``{"type": T, T: value, ...extra}``)."""
    if isinstance(event, Content):  # nearly every event of a stream: checked first
        return {"type": "content", "content": event.content}
    if isinstance(event, RawEvent):
        return {"type": event.kind, **event.fields}
    if isinstance(event, ProviderInfo):
        value = {"name": event.name, "url": event.url, "label": event.label or event.name, "model": event.model}
        return {"type": "provider", "provider": value}
    if isinstance(event, Parameters):
        return {"type": "parameters", "parameters": event.parameters}
    if isinstance(event, Media):
        media = {"type": "content", "content": event.content, "urls": list(event.urls), "alt": event.alt or None}
        return _drop_none(media)
    if isinstance(event, Reasoning):
        flat = {"token": event.token, "status": event.status, "label": event.label, "is_thinking": event.is_thinking}
        return _drop_none({"type": "reasoning", **flat})
    if isinstance(event, Preview):
        extra = {"urls": list(event.urls)} if event.urls else {}
        return _drop_none({"type": "preview", "preview": event.preview, **extra, "alt": event.alt or None})
    if isinstance(event, Conversation):
        return {"type": "conversation", "conversation": event.conversation}
    if isinstance(event, Title):
        return {"type": "title", "title": event.title}
    if isinstance(event, Suggestions):
        return {"type": "suggestions", "suggestions": list(event.suggestions)}
    if isinstance(event, Synthesize):
        return {"type": "synthesize", "synthesize": {"provider": event.provider, "data": event.data}}
    if isinstance(event, Usage):
        usage = {
            "prompt_tokens": event.prompt_tokens,
            "completion_tokens": event.completion_tokens,
            "total_tokens": event.total_tokens,
            **({"estimated": True} if event.estimated else {}),
            **event.extra,
        }
        return {"type": "usage", "usage": usage}
    if isinstance(event, Finish):
        return {"type": "finish", "finish": {"reason": event.reason}}
    if isinstance(event, Log):
        return {"type": "log", "log": event.log}
    if isinstance(event, (Message, Error)):
        return {"type": event.type, "error": event.error, "message": event.message}
    if isinstance(event, Auth):
        return {"type": "auth", "auth": event.auth, "message": event.message}
    raise TypeError(f"not a stream event: {event!r}")


def _json(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # an integer over 64 bits, which orjson does not write
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: str | bytes) -> Any:
    """Any received JSON text (a ``ValueError`` when it is not JSON)."""
    return orjson.loads(data)


def encode(events: Iterable[Event], fmt: Literal["ndjson", "sse"] = "ndjson") -> bytes:
    """Events framed for the wire in one piece: NDJSON lines, or SSE ``event:``/``data:`` blocks."""
    if fmt == "sse":
        return b"".join(
            b"event: %s\ndata: %s\n\n" % ((e.kind if isinstance(e, RawEvent) else e.type).encode(), _json(to_wire(e)))
            for e in events
        )
    return b"".join([_json(to_wire(e)) + b"\n" for e in events])


def dumps(event: Event) -> str:
    """The event as one compact JSON text (no newline)."""
    return _json(to_wire(event)).decode()


def frame(event: Event, fmt: Literal["ndjson", "sse"] = "ndjson") -> str:
    """The event framed for the wire: an NDJSON line, or an SSE ``event:``/``data:`` block."""
    return encode((event,), fmt).decode()


_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


def from_wire(obj: dict[str, Any]) -> Event:
    """The typed event for a decoded wire object; unknown types become :class:`RawEvent`."""
    kind = obj.get("type")
    rest = {k: v for k, v in obj.items() if k != "type"}
    try:
        if kind == "provider":
            p = obj.get("provider") or {}
            return ProviderInfo(**{key: p.get(key, "") for key in ("name", "model", "label", "url")})
        if kind == "parameters":
            return Parameters(dict(obj.get("parameters") or {}))
        if kind == "content":
            if "urls" in obj:
                return Media(urls=tuple(obj["urls"]), alt=obj.get("alt", ""), content=obj.get("content", ""))
            return Content(str(obj.get("content", "")))
        if kind == "reasoning":
            return Reasoning(**{key: obj.get(key) for key in ("token", "status", "label", "is_thinking")})
        if kind == "preview":
            return Preview(str(obj.get("preview", "")), urls=tuple(obj.get("urls", ())), alt=obj.get("alt", ""))
        if kind == "conversation":
            return Conversation(dict(obj.get("conversation") or {}))
        if kind == "title":
            return Title(str(obj.get("title", "")))
        if kind == "suggestions":
            return Suggestions(tuple(obj.get("suggestions") or ()))
        if kind == "synthesize":
            s = obj.get("synthesize") or {}
            return Synthesize(provider=s.get("provider", ""), data=dict(s.get("data") or {}))
        if kind == "usage":
            u = dict(obj.get("usage") or {})
            counts = {k: int(u.pop(k, 0) or 0) for k in _USAGE_KEYS}
            estimated = bool(u.pop("estimated", False))
            return Usage(**counts, estimated=estimated, extra=u)
        if kind == "finish":
            f = obj.get("finish")
            return Finish(reason=f.get("reason", "stop") if isinstance(f, dict) else str(f or "stop"))
        if kind == "log":
            return Log(str(obj.get("log", "")))
        if kind == "message":
            return Message(error=str(obj.get("error", "")), message=str(obj.get("message", "")))
        if kind == "error":
            return Error(error=str(obj.get("error", "Error")), message=str(obj.get("message", "")))
        if kind == "auth":
            return Auth(message=str(obj.get("message", "")), auth=str(obj.get("auth", "MissingAuthError")))
    except (AttributeError, TypeError, ValueError):
        pass  # a malformed known type is relayed raw rather than lost
    return RawEvent(kind=str(kind), fields=rest)


def parse_line(line: str | bytes) -> Event | None:
    """Parse one received line: an NDJSON object or an SSE ``data:`` line.

    Returns ``None`` for lines that carry no event: blank lines, SSE ``event:``/``id:``/
    comment lines, and ``[DONE]``. Raises ``ValueError`` for a line that is not JSON.
    """
    text = line.decode("utf-8") if isinstance(line, (bytes, bytearray)) else line
    text = text.strip()
    if not text or text.startswith((":", "event:", "id:", "retry:")):
        return None
    if text.startswith("data:"):
        text = text[5:].strip()
    if not text or text == "[DONE]":
        return None
    obj = orjson.loads(text)
    if not isinstance(obj, dict):
        raise ValueError(f"stream line is not a JSON object: {text[:80]}")
    return from_wire(obj)


async def line_batches(chunks: AsyncIterable[bytes]) -> AsyncIterator[list[bytes]]:
    """The complete lines (without ``\\n``/``\\r\\n``) that each received piece of bytes completes.

    One batch per read, not one step per line: a fast source's whole answer often arrives
    in one read. A last line without a newline comes at the end.
    """
    rest = b""
    async for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        if lines:
            yield [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if rest:
        yield [rest.rstrip(b"\r")]


async def sse_data(chunks: AsyncIterable[bytes]) -> AsyncIterator[list[bytes]]:
    """The ``data`` of the server-sent events in received bytes, a batch per read.

    An event's ``data:`` lines are joined with ``\\n`` and it ends at a blank line (or at
    the end of the stream); ``event:``, ``id:``, ``retry:`` and comment lines carry nothing here.
    """
    data: list[bytes] = []
    async for lines in line_batches(chunks):
        ready = []
        for line in lines:
            if not line:
                if data:
                    ready.append(b"\n".join(data))
                    data = []
            elif line.startswith(b"data:"):
                data.append(line[6:] if line.startswith(b"data: ") else line[5:])
        if ready:
            yield ready
    if data:
        yield [b"\n".join(data)]
