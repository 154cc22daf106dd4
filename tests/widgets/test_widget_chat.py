"""The chat widget driven as a user would: type, click, watch the answer stream, stop, restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from forms import multipart

from g4f_jupyter.core.events import Content, Event, Media, Reasoning
from g4f_jupyter.core.provider import Provider
from g4f_jupyter.widgets import ChatWidget


def _texts(turn) -> list[str]:
    """Record every Markdown text the turn's body shows, as the frontend would receive it."""
    seen: list[str] = []
    turn.body.observe(
        lambda change: seen.append(change["new"][0]["data"]["text/markdown"] if change["new"] else ""), names="outputs"
    )
    return seen


async def _until(predicate, timeout: float = 30.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.asyncio
async def test_typed_question_streams_markdown_progressively_and_keeps_the_conversation() -> None:
    chat = ChatWidget(max_tokens=60)
    assert chat.provider_select.value == "" and chat.provider_select.label == "Automatic"  # no choice: automatic
    assert chat.model_select.value == "" and "SmolLM2-135M-Instruct" in [v for _, v in chat.model_select.options]
    chat.input.value = "Write three sentences about the sea."
    chat.input.submit()  # what Enter in the box does
    task = chat.task
    assert task is not None and not task.done()  # it returns at once; the answer streams as a task
    assert chat.input.value == "" and chat.send_button.disabled and not chat.stop_button.disabled
    you, answer = chat.transcript.children
    assert "thinking…" in answer.thinking.value and answer.text == ""  # visible before the first token
    assert answer.copy.text == ""  # no copy button while nothing is there to copy
    seen = _texts(answer)
    await asyncio.wait_for(task, 60)

    final = answer.text
    assert final.strip()
    assert len(seen) >= 2, seen  # several renders while tokens arrived, not one at the end
    assert all(final.startswith(text) for text in seen)
    assert seen[-1] == final
    assert "Write three sentences" in you.body.outputs[0]["data"]["text/markdown"]
    assert "usage:" in answer.footer.value and "completion" in answer.footer.value
    assert "SmolLM2-135M-Instruct" in answer.header.value  # the automatic choice answered
    assert answer.thinking.value == "" and answer.copy.text == final
    conversation = chat.conversation
    assert [i["role"] for i in conversation["items"]] == ["user", "assistant"]
    assert conversation["items"][1]["content"] == final
    assert conversation["items"][1]["usage"]["total_tokens"] > 0
    assert conversation["items"][1]["provider"]["name"] == "Local"
    assert conversation["title"] == "Write three sentences about the sea."
    assert conversation["updated"] == chat.updated >= conversation["added"]
    assert not chat.send_button.disabled and chat.stop_button.disabled


@pytest.mark.asyncio
async def test_history_is_sent_with_the_next_question() -> None:
    chat = ChatWidget(max_tokens=16, system="Answer briefly.")
    chat.input.value = "a draft"
    await chat.send("My name is Ada.")
    assert chat.input.value == "a draft"  # sending from code leaves the typed draft alone
    first_stamp = chat.updated
    await chat.send("What is my name?")
    assert [m["role"] for m in chat.messages] == ["user", "assistant", "user", "assistant"]
    assert chat.messages[0]["content"] == "My name is Ada."
    assert chat.conversation["system"] == "Answer briefly."
    assert chat.updated > first_stamp
    assert len(chat.transcript.children) == 4


@pytest.mark.asyncio
async def test_stop_cancels_within_a_second_and_keeps_the_partial_answer() -> None:
    chat = ChatWidget(max_tokens=512)
    task = chat.send("Tell a very long story about a dragon who learns to cook.")
    answer = chat.transcript.children[-1]
    await _until(lambda: len(answer.text) > 20)
    chat.stop_button.click()
    await asyncio.wait_for(task, 1.0)  # the task ends within 1 s of Stop
    assert "Stopped." in answer.footer.value and "g4f-info" in answer.footer.value  # information, not an error
    assert "g4f-error" not in answer.footer.value
    kept = chat.conversation["items"][-1]
    assert kept["role"] == "assistant" and kept["finish"] == {"reason": "cancelled"}
    assert kept["content"] == answer.text and len(kept["content"]) > 20
    assert answer.body.outputs[0]["data"]["text/markdown"] == answer.text  # the partial text stays visible
    # the widget is ready for the next question
    assert not chat.send_button.disabled
    chat.request_options["max_tokens"] = 8
    again = chat.send("Say ok.")
    assert again is not None
    await asyncio.wait_for(again, 60)
    assert chat.transcript.children[-1].text.strip()


@pytest.mark.asyncio
async def test_empty_prompt_shows_a_message_and_sends_nothing() -> None:
    chat = ChatWidget()
    chat.input.value = "   \n "
    chat.send_button.click()
    assert chat.task is None
    assert "Type a question first" in chat.status.value
    assert chat.transcript.children == ()
    assert chat.conversation["items"] == []


@pytest.mark.asyncio
async def test_provider_without_key_names_the_variable_and_breaks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    chat = ChatWidget(max_tokens=8)
    labels = {value: label for label, value in chat.provider_select.options}
    assert "GROQ_API_KEY" in labels["Groq"] and "GROQ_API_KEY" not in labels["Local"]
    chat.provider_select.value = "Groq"
    assert "GROQ_API_KEY" in chat.key_warning.value
    assert "llama-3.3-70b-versatile" in [v for _, v in chat.model_select.options]
    await asyncio.wait_for(chat.send("hello?"), 10)
    error_turn = chat.transcript.children[-1]
    assert "g4f-error" in error_turn.footer.value and "GROQ_API_KEY" in error_turn.footer.value
    assert error_turn.text == ""
    chat.provider_select.value = "Local"
    assert chat.key_warning.value == ""
    await asyncio.wait_for(chat.send("Say ok."), 60)
    assert chat.transcript.children[-1].text.strip()


@pytest.mark.asyncio
async def test_second_send_while_streaming_is_refused_and_new_chat_starts_over() -> None:
    chat = ChatWidget(max_tokens=256)
    task = chat.send("Count from one to fifty in words.")
    assert chat.send("another question") is None
    assert "still streaming" in chat.status.value
    chat.new_button.click()
    done, _ = await asyncio.wait([task], timeout=1.0)
    assert done == {task}
    assert not chat.send_button.disabled
    assert chat.transcript.children == ()
    assert chat.conversation["items"] == []
    assert "New chat" in chat.status.value


@pytest.mark.asyncio
async def test_attached_bucket_goes_out_as_a_bucket_part() -> None:
    chat = ChatWidget()
    assert chat.attach_bucket("notes-1") == "notes-1"
    sent = chat._messages("What do the notes say?", [])
    assert sent[-1]["content"] == [{"bucket_id": "notes-1"}, {"type": "text", "text": "What do the notes say?"}]
    assert "notes-1" in chat.bucket_line.value
    with pytest.raises(Exception, match="invalid bucket id"):
        chat.attach_bucket("../etc")
    assert chat.bucket_id == "notes-1"


class ThinkingProvider(Provider):
    """A catalog provider (plugged in as ``module:Class``) whose answers carry reasoning and an image."""

    async def create_async_generator(self, model: str, messages: list, **kwargs: Any) -> AsyncIterator[Event]:
        yield Reasoning(token="First I weigh the options. ")
        yield Reasoning(token="Then I pick one.")
        yield Content("**Blue** is the answer.")
        yield Media(urls=("/media/sky.png",), alt="sky")


@pytest.mark.asyncio
async def test_reasoning_is_collapsed_and_media_rendered(user_providers_dir: Path) -> None:
    (user_providers_dir / "Thinker.toml").write_text(
        'name = "Thinker"\ndriver = "test_widget_chat:ThinkingProvider"\nmodels = ["think-1"]\n', "utf-8"
    )
    chat = ChatWidget(provider="Thinker")
    assert chat.model_select.value == "think-1"
    await asyncio.wait_for(chat.send("Which colour?"), 10)
    answer = chat.transcript.children[-1]
    box = answer.reasoning_box
    assert box.layout.display is None and box.selected_index is None  # shown, collapsed
    assert answer.reasoning_box.titles == ("Reasoning",)
    assert answer.reasoning.outputs[0]["data"]["text/markdown"] == "First I weigh the options. Then I pick one."
    body = answer.body.outputs[0]["data"]["text/markdown"]
    assert body.startswith("**Blue** is the answer.") and "[![sky](/media/sky.png)](/media/sky.png)" in body
    item = chat.conversation["items"][-1]
    assert item["reasoning"] == {"text": "First I weigh the options. Then I pick one."}
    assert item["usage"]["estimated"] is True  # the runner estimated it: the provider sent none


@pytest.mark.asyncio
async def test_unknown_model_is_reported_inline() -> None:
    chat = ChatWidget(model="no-such-model")
    await asyncio.wait_for(chat.send("hi"), 10)
    footer = chat.transcript.children[-1].footer.value
    assert "g4f-error" in footer and "no-such-model" in footer and "SmolLM2-135M-Instruct" in footer


@pytest.mark.asyncio
async def test_automatic_choice_follows_the_operators_default(
    user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (user_providers_dir / "Thinker.toml").write_text(
        'name = "Thinker"\ndriver = "test_widget_chat:ThinkingProvider"\nmodels = ["think-1"]\n', "utf-8"
    )
    monkeypatch.setenv("G4F_JUPYTER_DEFAULT_PROVIDER", "Thinker")  # what the server exports to its kernels
    chat = ChatWidget()
    assert chat.provider_select.value == ""
    await asyncio.wait_for(chat.send("Which colour?"), 10)
    answer = chat.transcript.children[-1]
    assert answer.text.startswith("**Blue**") and "think-1" in answer.header.value
    chat.provider_select.value = "Local"  # an explicit choice wins over the operator's default
    await asyncio.wait_for(chat.send("Say ok."), 60)
    assert "SmolLM2-135M-Instruct" in chat.transcript.children[-1].header.value


class _LiveModels(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that lists its models."""

    def do_GET(self) -> None:
        body = json.dumps({"data": [{"id": "live-a"}, {"id": "live-b"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.asyncio
async def test_model_picker_gets_a_live_providers_own_list(
    user_providers_dir: Path, loopback: Callable[[type[BaseHTTPRequestHandler]], str]
) -> None:
    base = loopback(_LiveModels)
    (user_providers_dir / "Live.toml").write_text(
        f'name = "Live"\ndriver = "openai"\napi_base = "{base}/v1"\nlive_models = true\nmodels = ["listed"]\n',
        "utf-8",
    )
    chat = ChatWidget()
    chat.provider_select.value = "Live"
    assert [v for _, v in chat.model_select.options] == ["listed"]  # the catalog's list at once
    await _until(lambda: [v for _, v in chat.model_select.options] == ["live-a", "live-b"], timeout=10)
    assert chat.model_select.value == "live-a"


class EchoProvider(Provider):
    """A catalog provider that answers with every text it was sent, so a test sees what went out."""

    async def create_async_generator(self, model: str, messages: list, **kwargs: Any) -> AsyncIterator[Event]:
        for message in messages:
            content = message["content"]
            parts = [content] if isinstance(content, str) else [p.get("text", "") for p in content]
            yield Content("\n".join(str(p) for p in parts) + "\n")


@pytest.mark.asyncio
async def test_attached_bucket_grounds_the_question_through_the_server(
    jp_fetch: Any, user_providers_dir: Path
) -> None:
    (user_providers_dir / "Echo.toml").write_text(
        'name = "Echo"\ndriver = "test_widget_chat:EchoProvider"\nmodels = ["echo"]\n', "utf-8"
    )
    body, headers = multipart([("files", "notes.txt", b"The secret harbour is called Quillmere.\n")])
    await jp_fetch("backend-api", "v2", "files", "harbour-notes", method="POST", body=body, headers=headers)
    chat = ChatWidget(provider="Echo")
    chat.attach_bucket("harbour-notes")
    await asyncio.wait_for(chat.send("What is the harbour called?"), 30)
    answer = chat.transcript.children[-1]
    assert "Quillmere" in answer.text and "What is the harbour called?" in answer.text
    assert "g4f-error" not in answer.footer.value
