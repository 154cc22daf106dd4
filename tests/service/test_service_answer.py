"""The one event fold: every door reads the same answer out of the same stream."""

from __future__ import annotations

import pytest

from g4f_jupyter.core.events import (
    Auth,
    Content,
    Error,
    Finish,
    Log,
    Media,
    Message,
    ProviderInfo,
    Reasoning,
    Title,
    Usage,
)
from g4f_jupyter.errors import G4FError, MissingAuthError
from g4f_jupyter.service.answer import AnswerState, collect, collect_sync

STREAM = [
    ProviderInfo(name="Local", model="smol", label="Embedded"),
    Reasoning(status="thinking"),
    Reasoning(token="hmm"),
    Content("Hello"),
    Content(", world"),
    Media(urls=("/media/a.png",), alt="a"),
    Message(error="Warn", message="slow"),
    Title("Greeting"),
    Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7, estimated=True),
    Finish("length"),
    Log("done"),
]


def test_fold_collects_every_field() -> None:
    state = collect_sync(STREAM)
    assert state.text == "Hello, world\n\n[![a](/media/a.png)](/media/a.png)"
    assert state.reasoning == "\n_thinking_\nhmm"
    assert state.provider_line() == "Embedded / smol"
    assert state.usage_line() == "usage: 3 prompt + 4 completion = 7 tokens (estimated)"
    assert state.finish_reason == "length"
    assert state.title == "Greeting"
    assert state.notices == ["Warn: slow"]
    assert [m.urls for m in state.media] == [("/media/a.png",)]
    assert not state.failed
    state.raise_failure()  # nothing to raise


def test_apply_reports_visible_changes_only() -> None:
    state = AnswerState()
    assert state.apply(Content("x")) is True
    assert state.apply(Content("")) is False
    assert state.apply(Usage()) is False
    assert state.apply(Reasoning(token="r")) is True


def test_item_has_the_stored_conversation_shape() -> None:
    item = collect_sync(STREAM).item()
    assert item["role"] == "assistant"
    assert item["provider"] == {"name": "Local", "url": "", "label": "Embedded", "model": "smol"}
    assert item["usage"]["total_tokens"] == 7 and item["usage"]["estimated"] is True
    assert item["reasoning"] == {"text": "\n_thinking_\nhmm"}
    assert item["finish"] == {"reason": "length"}
    assert collect_sync(STREAM).item(finish_reason="cancelled")["finish"] == {"reason": "cancelled"}
    assert AnswerState().item() == {"role": "assistant", "content": ""}


def test_failures_raise_the_matching_error() -> None:
    auth = collect_sync([Content("part"), Auth(message="set KEY")])
    assert auth.failed and auth.failure_message == "set KEY" and auth.text == "part"
    with pytest.raises(MissingAuthError, match="set KEY"):
        auth.raise_failure()
    with pytest.raises(G4FError, match="boom"):
        collect_sync([Error(error="X", message="boom")]).raise_failure()


@pytest.mark.asyncio
async def test_async_collect_matches_sync() -> None:
    async def events():  # type: ignore[no-untyped-def]
        for event in STREAM:
            yield event

    assert await collect(events()) == collect_sync(STREAM)
