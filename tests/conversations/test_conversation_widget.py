"""The chat widget and the chat store, in this process: each answer is saved, a saved chat reopens as it was shown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pages.echo_peer import EchoOpenAI, add_echo_provider

from g4f_jupyter.errors import BadRequestError, NotFoundError
from g4f_jupyter.service.conversations import (
    ConversationQuery,
    list_conversations,
    load_conversation,
    save_conversation,
)
from g4f_jupyter.widgets import ChatWidget

SAVED = {
    "title": "Knots",
    "system": "Answer like a sailor.",
    "items": [
        {"role": "user", "content": "Name a knot."},
        {
            "role": "assistant",
            "content": "The **bowline**.",
            "provider": {"name": "Local", "label": "Local", "model": "SmolLM2-135M-Instruct", "url": ""},
            "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
            "reasoning": {"text": "A common one."},
            "finish": {"reason": "cancelled"},
            "synthesize": {"provider": "Gemini"},
        },
    ],
    "data": {"Local": {"kept": True}},
}


@pytest.fixture
def echo(loopback: Callable[..., str], user_providers_dir: Path) -> str:
    add_echo_provider(user_providers_dir, "Echo", loopback(EchoOpenAI) + "/v1")
    return "Echo"


def test_a_saved_chat_reopens_as_it_was_shown() -> None:
    save_conversation("knots", SAVED)
    widget = ChatWidget(conversation="knots")
    you, answer = widget.transcript.children
    assert (you.speaker, you.text) == ("You", "Name a knot.")
    assert answer.text == "The **bowline**." and answer.reasoning_text == "A common one."
    assert "Local / SmolLM2-135M-Instruct" in answer.header.value
    assert "usage: 9 prompt + 4 completion = 13 tokens" in answer.footer.value and "Stopped." in answer.footer.value
    assert answer.copy.text == "The **bowline**."
    assert widget.system.value == "Answer like a sailor."
    assert widget.messages == [
        {"role": "user", "content": "Name a knot."}, {"role": "assistant", "content": "The **bowline**."}
    ]
    conversation = widget.conversation
    assert conversation["id"] == "knots" and conversation["title"] == "Knots"
    assert conversation["data"] == {"Local": {"kept": True}} and conversation["items"] == SAVED["items"]


def test_reopening_a_missing_or_unsafe_id_fails_clearly() -> None:
    with pytest.raises(NotFoundError, match="no saved chat 'nope'"):
        ChatWidget(conversation="nope")
    with pytest.raises(BadRequestError, match="invalid conversation id"):
        ChatWidget(conversation="../shares/x")


@pytest.mark.asyncio
async def test_each_answer_is_saved_and_a_reopened_chat_goes_on_under_its_id(echo: str) -> None:
    save_conversation("knots", SAVED)
    widget = ChatWidget(provider=echo, conversation="knots")
    await asyncio.wait_for(widget.send("And another?"), 30)
    stored = load_conversation("knots")
    assert [item["content"] for item in stored["items"][2:]] == ["And another?", "And another?"]
    assert stored["items"][:2] == SAVED["items"] and stored["data"] == SAVED["data"]
    assert stored["title"] == "Knots" and stored["updated"] == widget.updated

    widget.new_chat()
    await asyncio.wait_for(widget.send("A new question"), 30)
    listing = list_conversations(ConversationQuery())
    assert listing["total"] == 2
    newest = listing["conversations"][0]
    assert newest["id"] == widget.conversation["id"] != "knots"
    assert (newest["title"], newest["messages"]) == ("A new question", 2)


@pytest.mark.asyncio
async def test_a_chat_over_the_limit_is_not_saved_and_the_widget_says_so(
    echo: str, monkeypatch: pytest.MonkeyPatch, g4f_data_dir: Path
) -> None:
    monkeypatch.setenv("G4F_JUPYTER_MAX_BODY_BYTES", "300")
    widget = ChatWidget(provider=echo)
    await asyncio.wait_for(widget.send("x" * 400), 30)
    answer: Any = widget.transcript.children[-1]
    assert "The chat was not saved" in answer.footer.value and "300" in answer.footer.value
    assert answer.text == "x" * 400  # the answer itself is kept in the widget
    assert not list((g4f_data_dir / "conversations").glob("*.json"))
    assert json.loads(json.dumps(widget.conversation))["items"][1]["content"] == "x" * 400
