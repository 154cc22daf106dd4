"""Inline completion on the embedded model: prefix reuse, cancellation, and sharing the model with chats."""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import string
from typing import Any
from urllib.parse import urlsplit

import pytest

from g4f_jupyter.core.drivers import local
from g4f_jupyter.core.events import Content, Event, Usage
from g4f_jupyter.core.runner import ChatRequest, run_chat
from g4f_jupyter.service.complete import open_completion

URL = "backend-api/v2/complete"


def stdlib_code(module: Any, lines: int) -> str:
    """Real code to complete: the first ``lines`` lines of a standard-library module."""
    return "".join(inspect.getsource(module).splitlines(keepends=True)[:lines])


def body(prefix: str, **extra: Any) -> dict[str, Any]:
    return {"prefix": prefix, "suffix": "", "language": "python", "path": "example.py", **extra}


def usage_of(raw: bytes) -> dict[str, Any]:
    [usage] = [e["usage"] for e in map(json.loads, raw.decode().splitlines()) if e["type"] == "usage"]
    return dict(usage)


def read(usage: dict[str, Any]) -> int:
    """Prompt tokens llama.cpp evaluated for the request (the rest were reused)."""
    return int(usage["prompt_tokens"]) - int(usage["prompt_tokens_details"]["cached_tokens"])


async def on_worker(job: Any) -> Any:
    """``job()`` on the model's one worker, after whatever it is doing now."""
    return await asyncio.to_thread(local.run_on_worker, job)


def tokens_in_context() -> int:
    return int(local.load_model().n_tokens)


@pytest.mark.asyncio
async def test_the_next_keystroke_reads_only_what_was_typed(raw_fetch) -> None:
    import json as module

    prefix = stdlib_code(module.decoder, 60) + "\n\ndef parse_pair(text):\n    key, value = text.sp"
    first = await raw_fetch(URL, "POST", body=body(prefix))
    assert first.code == 200
    second = await raw_fetch(URL, "POST", body=body(prefix + "lit("))
    assert second.code == 200
    before, after = usage_of(first.body), usage_of(second.body)
    assert before["prompt_tokens"] > 300 and read(before) > 300  # nothing of this file was read before
    assert after["prompt_tokens"] >= before["prompt_tokens"]
    assert read(after) <= 40


@pytest.mark.asyncio
async def test_reading_ahead_leaves_the_first_suggestion_only_what_was_typed(raw_fetch) -> None:
    import textwrap as module

    cell = stdlib_code(module, 80) + "\n\ndef shorten_all(texts, width):\n    return [shorten(t"
    prepared = await raw_fetch(URL, "POST", body=body(cell, action="prepare"))  # the cell got the focus
    assert prepared.code == 204 and prepared.body == b""
    first = usage_of((await raw_fetch(URL, "POST", body=body(cell + ", wid"))).body)  # then came typing
    assert first["prompt_tokens"] > 300 and read(first) <= 40


@pytest.mark.asyncio
async def test_a_closed_connection_stops_reading_and_keeps_what_was_read(server_url, jp_auth_header, raw_fetch):
    import string as module

    await raw_fetch(URL, "POST", body=body("x = 1\n"))  # the model loaded, so the request below reads at once
    prefix = stdlib_code(module, 160) + "\ndef shout(text):\n    return text.up"
    payload = json.dumps(body(prefix)).encode()
    address = urlsplit(server_url)
    head = (
        f"POST {address.path}{URL} HTTP/1.1\r\nHost: {address.netloc}\r\n{_headers(jp_auth_header)}"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port)) as client:
        client.sendall(head + payload)
        await asyncio.sleep(0.6)  # the prompt's ~500 tokens take about 2 s to read on two cores
    kept = await asyncio.wait_for(on_worker(tokens_in_context), 10)
    again = usage_of((await raw_fetch(URL, "POST", body=body(prefix))).body)
    assert again["prompt_tokens"] > 450
    assert kept < again["prompt_tokens"] - 100  # it stopped reading when the client left
    assert again["prompt_tokens_details"]["cached_tokens"] >= kept - 8  # and what it had read is reused


@pytest.mark.asyncio
async def test_a_closed_connection_stops_generation(server_url, jp_auth_header, raw_fetch) -> None:
    prefix = "MONTHS = {'january': 1, 'february': 2, 'march': 3, 'april': 4, "  # a dict the model writes on and on
    request = {**body(prefix, max_tokens=64), "path": "x.py"}
    reference = await raw_fetch(URL, "POST", body=request)
    events = [json.loads(line) for line in reference.body.decode().splitlines()]
    assert events[-1]["finish"]["reason"] == "length"  # left alone, it runs to the token limit
    prompt = usage_of(reference.body)["prompt_tokens"]
    payload = json.dumps(request).encode()
    address = urlsplit(server_url)
    head = (
        f"POST {address.path}{URL} HTTP/1.1\r\nHost: {address.netloc}\r\n{_headers(jp_auth_header)}"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port)) as client:
        client.sendall(head + payload)
        received = b""
        while b'"type":"content"' not in received:
            received += await asyncio.to_thread(client.recv, 65536)
    generated = await asyncio.wait_for(on_worker(tokens_in_context), 10) - prompt
    assert generated < 16  # it stopped within a few tokens of the client leaving, far below 64


def _headers(headers: dict[str, str]) -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())


async def _complete(prefix: str, **extra: Any) -> tuple[str, Usage]:
    events: list[Event] = [e async for e in open_completion(body(prefix, provider="Local", **extra))]
    [usage] = [e for e in events if isinstance(e, Usage)]
    return "".join(e.content for e in events if isinstance(e, Content)), usage


async def _chat(messages: list[dict[str, Any]]) -> tuple[str, Usage]:
    request = ChatRequest(messages, provider="Local", options={"temperature": 0, "max_tokens": 24})
    events = [e async for e in run_chat(request)]
    [usage] = [e for e in events if isinstance(e, Usage)]
    return "".join(e.content for e in events if isinstance(e, Content)), usage


def _cached(usage: Usage) -> int:
    return int(usage.extra["prompt_tokens_details"]["cached_tokens"])


@pytest.mark.asyncio
async def test_a_chat_between_keystrokes_disturbs_neither() -> None:
    """The completion's context is saved and restored around a chat; the chat's state cache is untouched."""
    code = stdlib_code(string, 90) + "\ndef title_words(text):\n    return [w.capi"
    question = [{"role": "user", "content": "Name three rivers in Europe."}]
    answer, _ = await _chat(question)
    follow_up = [*question, {"role": "assistant", "content": answer}, {"role": "user", "content": "Which is longest?"}]
    await _chat(follow_up)
    chat_alone, chat_alone_usage = await _chat(follow_up)  # the whole prompt is in the context already
    await _complete(code)
    typed_alone, _ = await _complete(code + "tal")  # the next keystroke, nothing in between

    await _complete(code)
    chat_between, chat_between_usage = await _chat(follow_up)  # a chat between two keystrokes
    typed_after_chat, usage = await _complete(code + "tal")

    assert chat_between == chat_alone and _cached(chat_between_usage) == _cached(chat_alone_usage) > 0
    assert typed_after_chat == typed_alone
    assert usage.prompt_tokens - _cached(usage) <= 40  # the completion's context came back: only the new tokens
