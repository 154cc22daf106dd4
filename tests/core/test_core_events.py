"""The one wire format: every typed event survives to_wire → frame → parse_line unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from g4f_jupyter.core import events as ev

EVERY_EVENT: list[ev.Event] = [
    ev.ProviderInfo(name="Local", model="SmolLM2-135M-Instruct", label="Local (embedded)", url="https://x.test"),
    ev.Parameters({"temperature": {"type": "number"}}),
    ev.Content("héllo\nwörld"),
    ev.Media(urls=("/media/a.png", "/media/b.png"), alt="a cat"),
    ev.Media(urls=("/media/a.png",), alt="", content="<img src='/media/a.png'>"),
    ev.Reasoning(token="thinking..."),
    ev.Reasoning(status="Done", label="Thought", is_thinking="</think>"),
    ev.Preview("loading"),
    ev.Preview("image", urls=("/media/p.png",), alt="preview"),
    ev.Conversation({"Local": {"message_id": "m1"}}),
    ev.Title("A title"),
    ev.Suggestions(("one?", "two?")),
    ev.Synthesize(provider="Gemini", data={"text": "hi"}),
    ev.Usage(3, 4, 7),
    ev.Usage(3, 4, 7, estimated=True, extra={"model": "m", "provider": "p"}),
    ev.Finish("length"),
    ev.Log("a log line"),
    ev.Message(error="ValueError", message="ValueError: soft"),
    ev.Error(error="RuntimeError", message="RuntimeError: boom"),
    ev.Auth(message="set OPENAI_API_KEY"),
    ev.RawEvent(
        kind="tool_calls",
        fields={"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    ),
    ev.RawEvent(kind="conversation_id", fields={"conversation_id": "abc"}),
]


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_ndjson_round_trip(event: ev.Event) -> None:
    line = ev.frame(event, "ndjson")
    assert line.endswith("\n") and line.count("\n") == 1
    assert ev.parse_line(line) == event
    assert ev.parse_line(line.encode("utf-8")) == event


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_sse_round_trip(event: ev.Event) -> None:
    block = ev.frame(event, "sse")
    lines = block.split("\n")
    assert block.endswith("\n\n")
    assert lines[0] == f"event: {ev.to_wire(event)['type']}"
    assert lines[1].startswith("data: ")
    assert json.loads(lines[1][6:]) == ev.to_wire(event)  # the SSE payload is the NDJSON object, type kept inside
    parsed = [p for p in map(ev.parse_line, lines) if p is not None]
    assert parsed == [event]


@pytest.mark.parametrize(
    "line",
    ["", "   ", "\r\n", "event: content", "id: 7", "retry: 100", ": keep-alive", "data: [DONE]", "data:", "[DONE]"],
)
def test_lines_without_an_event_are_ignored(line: str) -> None:
    assert ev.parse_line(line) is None


@pytest.mark.parametrize("line", ["not json", "data: {broken", "[1, 2]"])
def test_garbage_lines_are_a_value_error(line: str) -> None:
    with pytest.raises(ValueError):
        ev.parse_line(line)


def test_unknown_type_relays_to_the_same_wire_json() -> None:
    wire = {"type": "response", "response": {"id": "x", "choices": []}, "extra": [1, 2]}
    event = ev.parse_line(json.dumps(wire))
    assert isinstance(event, ev.RawEvent) and event.kind == "response"
    assert ev.to_wire(event) == wire
    assert json.loads(ev.dumps(event)) == wire


def test_malformed_known_type_is_relayed_raw_not_lost() -> None:
    wire = {"type": "provider", "provider": "just-a-string"}
    event = ev.parse_line(json.dumps(wire))
    assert isinstance(event, ev.RawEvent)
    assert ev.to_wire(event) == wire


def test_reasoning_is_flattened() -> None:
    wire = ev.to_wire(ev.Reasoning(token="t", is_thinking="<think>"))
    assert wire == {"type": "reasoning", "token": "t", "is_thinking": "<think>"}
    assert "reasoning" not in wire


@pytest.mark.parametrize(
    ("event", "wire"),
    [
        (
            ev.Usage(1, 2, 3),
            {"type": "usage", "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
        ),
        (
            ev.Usage(1, 2, 3, estimated=True),
            {
                "type": "usage",
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "estimated": True},
            },
        ),
        (ev.Finish(), {"type": "finish", "finish": {"reason": "stop"}}),
        (ev.Error(error="X", message="X: m"), {"type": "error", "error": "X", "message": "X: m"}),
        (ev.Message(error="X", message="X: m"), {"type": "message", "error": "X", "message": "X: m"}),
        (ev.Auth(message="no key"), {"type": "auth", "auth": "MissingAuthError", "message": "no key"}),
        (ev.Content("hi"), {"type": "content", "content": "hi"}),
        (ev.Log("l"), {"type": "log", "log": "l"}),
        (ev.Title("t"), {"type": "title", "title": "t"}),
        (ev.Suggestions(("a",)), {"type": "suggestions", "suggestions": ["a"]}),
        (ev.Conversation({"P": {}}), {"type": "conversation", "conversation": {"P": {}}}),
        (ev.Synthesize("P", {"a": 1}), {"type": "synthesize", "synthesize": {"provider": "P", "data": {"a": 1}}}),
        (
            ev.ProviderInfo(name="Groq", model="m"),
            {"type": "provider", "provider": {"name": "Groq", "url": "", "label": "Groq", "model": "m"}},
        ),
        (
            ev.Media(urls=("/m.png",), alt="c"),
            {"type": "content", "content": "[![c](/m.png)](/m.png)", "urls": ["/m.png"], "alt": "c"},
        ),
        (ev.Preview("p"), {"type": "preview", "preview": "p"}),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, ev.Event) else "",
)
def test_literal_wire_shapes(event: ev.Event, wire: dict) -> None:
    assert ev.to_wire(event) == wire


def test_ndjson_is_compact_and_keeps_unicode() -> None:
    assert ev.frame(ev.Content("é")) == '{"type":"content","content":"é"}\n'


def test_terminal_types() -> None:
    assert {"error", "auth"} == ev.TERMINAL_TYPES


def test_to_wire_rejects_non_events() -> None:
    with pytest.raises(TypeError):
        ev.to_wire("content")  # type: ignore[arg-type]


async def _pieces(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def _all(batches: AsyncIterator[list[bytes]]) -> list[list[bytes]]:
    return [batch async for batch in batches]


@pytest.mark.asyncio
async def test_line_batches_join_lines_split_across_reads() -> None:
    batches = await _all(ev.line_batches(_pieces(b'{"a":', b' 1}\r\n{"b": 2}\n{"c"', b": 3}\n", b"tail")))
    assert batches == [[b'{"a": 1}', b'{"b": 2}'], [b'{"c": 3}'], [b"tail"]]  # one batch per read that ends a line


@pytest.mark.asyncio
async def test_sse_data_joins_data_lines_and_ignores_the_rest() -> None:
    stream = _pieces(
        b': comment\n\nevent: content\nid: 1\ndata: {"x":',  # an event split across reads
        b" 1}\n\ndata: line one\r\ndata:line two\n\nretry: 5\n\n",
        b"data: [DONE]",  # the last event without its blank line still counts
    )
    batches = await _all(ev.sse_data(stream))
    assert batches == [[b'{"x": 1}', b"line one\nline two"], [b"[DONE]"]]


@pytest.mark.asyncio
async def test_encode_frames_many_events_like_frame_does_one() -> None:
    events = [ev.Content("a"), ev.Usage(1, 2, 3), ev.RawEvent(kind="x", fields={"x": 1})]
    for fmt in ("ndjson", "sse"):
        assert ev.encode(events, fmt) == "".join(ev.frame(e, fmt) for e in events).encode()


def test_integers_over_64_bits_still_write() -> None:
    assert json.loads(ev.dumps(ev.Parameters({"seed": 2**70}))) == {"type": "parameters", "parameters": {"seed": 2**70}}
