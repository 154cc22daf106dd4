"""``context`` in a ``/conversation`` body, on a real server, answered by a loopback
OpenAI-compatible peer: the items arrive as messages of their own before the question, trimmed
to the provider's window; a bad item is a 400 and nothing reaches the provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from magics.fixing_peer import FIX_ANSWER, FixingOpenAI, add_fixer, fresh_peer, message_text

from g4f_jupyter.core.runner import estimate_tokens
from g4f_jupyter.service.context import cell_item

V2 = "backend-api/v2"
COLOURED_TRACEBACK = [
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n"
    "\x1b[0;32m----> 1\x1b[0m print(\x1b[38;5;241m1\x1b[39m/\x1b[38;5;241m0\x1b[39m)",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
]
WINDOW = 1_200  # the peer's context_tokens: room for the answer is half, context gets 75 % of the rest


@pytest.fixture
def peer(loopback: Callable[[type[BaseHTTPRequestHandler]], str], user_providers_dir: Path) -> type[FixingOpenAI]:
    handler = fresh_peer()
    add_fixer(user_providers_dir, f"{loopback(handler)}/v1", context_tokens=str(WINDOW))
    return handler


def contents(response: Any) -> str:
    events = [json.loads(line) for line in response.body.decode().splitlines()]
    return "".join(e["content"] for e in events if e["type"] == "content")


@pytest.mark.asyncio
async def test_context_items_arrive_as_messages_before_the_question(peer: type[FixingOpenAI], raw_fetch: Any) -> None:
    error = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
             "traceback": ["Traceback (most recent call last):", *COLOURED_TRACEBACK]}
    body = {
        "provider": "Fixer", "messages": [{"role": "user", "content": "Fix it, {please}"}],
        "context": [cell_item("print(1/0)", "In [3]"), {"kind": "output", "label": "In [3]", "outputs": [error]}],
    }
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    assert response.code == 200 and contents(response) == FIX_ANSWER  # the peer saw a traceback
    sent = peer.bodies[-1]
    assert "context" not in sent  # items become messages; the field itself is not forwarded
    cell, output, question = sent["messages"]
    assert message_text(cell) == "Notebook cell In [3]:\n\n```python\nprint(1/0)\n```"
    assert "\x1b" not in message_text(output) and message_text(output).endswith(
        "----> 1 print(1/0)\nZeroDivisionError: division by zero\n```"
    )
    assert question == {"role": "user", "content": "Fix it, {please}"}


@pytest.mark.asyncio
async def test_a_long_notebook_is_trimmed_to_the_providers_window(peer: type[FixingOpenAI], raw_fetch: Any) -> None:
    cells = [
        {"cell_type": "code", "execution_count": i, "source": f"result_{i} = compute({i})", "outputs": []}
        for i in range(1, 201)
    ]
    body = {
        "provider": "Fixer", "messages": [{"role": "user", "content": "What does this notebook do?"}],
        "context": [{"kind": "notebook", "label": "long.ipynb", "cells": cells}, cell_item("result_200", "In [201]")],
    }
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    assert response.code == 200
    book, active, question = (message_text(m) for m in peer.bodies[-1]["messages"])
    assert active.startswith("Notebook cell In [201]:")  # the active cell whole
    assert " of 200 cells]:" in book.splitlines()[0]  # the notebook cut, and saying so
    assert "result_200 = compute(200)" in book and "result_1 = compute(1)\n" not in book  # its newest cells kept
    budget = int(0.75 * (WINDOW - WINDOW // 2)) - estimate_tokens(question)
    assert estimate_tokens(book) + estimate_tokens(active) <= budget


@pytest.mark.asyncio
async def test_a_bad_item_is_a_400_naming_it(peer: type[FixingOpenAI], raw_fetch: Any, error_message: Any) -> None:
    body = {"provider": "Fixer", "messages": [{"role": "user", "content": "q"}],
            "context": [cell_item("x", "In [1]"), {"kind": "output", "cells": []}]}
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    assert response.code == 400
    assert error_message(response) == "context[1]: cells go with kind selection or notebook"
    assert peer.bodies == []
