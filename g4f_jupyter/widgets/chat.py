"""The chat widget: pick a provider and model, ask, and watch the answer stream in.

It calls the same Python API (:func:`g4f_jupyter.api.astream`) as the magics, which goes
through the same conversation service as the HTTP route. The answer streams as a task on
the kernel's own loop, so the cell returns at once, other cells keep running, and Stop
cancels the task (the embedded model stops at its next token).
"""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as widgets
import traitlets

from ..api import astream
from ..core.events import Auth, Content, Error, Finish, Media, Message, ProviderInfo, Reasoning, Title, Usage, to_wire
from ..core.provider import Provider
from ..core.registry import get_registry
from ..errors import G4FError
from ..service.conversation import build_messages
from ..store.paths import safe_name
from ._conversation import ConversationLog
from ._loop import start_task
from ._render import note_html
from ._turn import Turn

__all__ = ["ChatWidget"]


def _provider_option(provider: Provider) -> tuple[str, str]:
    label = provider.label
    if provider.missing_key_message():
        label += f" — set {provider.spec.api_key_env or 'an API key'}"
    return label, provider.name


def _usage_line(usage: Usage) -> str:
    line = f"usage: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion = {usage.total_tokens} tokens"
    return line + (" (estimated)" if usage.estimated else "")


class ChatWidget(widgets.VBox):
    """A chat with any catalog provider; ``send(text)`` returns the streaming task."""

    updated = traitlets.Int(0, help="stamp (ms) of the last finished answer; observed by ShareWidget")

    def __init__(self, provider: str | None = None, model: str | None = None, system: str = "", **options: Any) -> None:
        registry = get_registry()
        self.request_options = options
        self.provider_select = widgets.Dropdown(
            options=[_provider_option(p) for p in registry.providers()],
            value=registry.lookup_name(provider) if provider else registry.default_name,
            description="Provider",
        )
        self.model_select = widgets.Dropdown(description="Model")
        self.key_warning = widgets.HTML()
        self.system = widgets.Textarea(
            value=system, placeholder="System prompt (optional)", rows=1, layout={"width": "100%"}
        )
        self.input = widgets.Textarea(placeholder="Ask something… (Send to submit)", rows=3, layout={"width": "100%"})
        self.send_button = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.new_button = widgets.Button(description="New chat", icon="plus")
        self.status = widgets.HTML()
        self.bucket_line = widgets.HTML()
        self.transcript = widgets.VBox()
        self.task: asyncio.Task[None] | None = None
        self.bucket_id: str | None = None
        self._log = ConversationLog()
        self._shown_in_cell: int | None = None
        super().__init__(
            [
                widgets.HBox([self.provider_select, self.model_select]),
                self.key_warning,
                self.system,
                self.transcript,
                self.input,
                widgets.HBox([self.send_button, self.stop_button, self.new_button]),
                self.status,
                self.bucket_line,
            ]
        )
        self.add_class("g4f-chat")
        self.provider_select.observe(self._on_provider, names="value")
        self._on_provider()
        if model:
            if model not in [value for _, value in self.model_select.options]:  # live lists; the runner checks it
                self.model_select.options = [*self.model_select.options, (model, model)]
            self.model_select.value = model
        self.send_button.on_click(lambda _: self.send())
        self.stop_button.on_click(lambda _: self.stop())
        self.new_button.on_click(lambda _: self.new_chat())

    def _ipython_display_(self) -> None:
        """One view per cell: ``g4f_jupyter.chat()`` displays the widget and returns it, and the
        returned value must not show a second copy when the call ends the cell."""
        from IPython import get_ipython
        from IPython.display import display

        cell = getattr(get_ipython(), "execution_count", None)
        if cell is not None and cell == self._shown_in_cell:
            return
        self._shown_in_cell = cell
        display(self._repr_mimebundle_(), raw=True)

    # -- state other code reads -------------------------------------------------------
    @property
    def conversation(self) -> dict[str, Any]:
        """A copy of the conversation object (protocol §5.1 shape), ready for ``save_share``."""
        return self._log.as_dict(system=self.system.value.strip())

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far as chat messages (what is sent as history)."""
        return self._log.history()

    @property
    def last_answer(self) -> str:
        """The text of the newest answer, while it streams and after."""
        turns = [t for t in self.transcript.children if isinstance(t, Turn) and t.speaker == "Assistant"]
        return turns[-1].text if turns else ""

    @property
    def streaming(self) -> bool:
        return self.task is not None and not self.task.done()

    # -- actions ----------------------------------------------------------------------
    def send(self, text: str | None = None) -> asyncio.Task[None] | None:
        """Ask ``text`` (default: the input box). Returns the streaming task, or ``None`` if nothing was sent."""
        prompt = (self.input.value if text is None else text).strip()
        if not prompt:
            self._say("Type a question first: nothing was sent.", "warning")
            return None
        if self.streaming:
            self._say("An answer is still streaming: press Stop first.", "warning")
            return None
        self._say("")
        if text is None:
            self.input.value = ""  # a programmatic send leaves the user's draft alone
        history = self.messages
        self._log.add({"role": "user", "content": prompt})
        self._show(Turn("You", prompt))
        turn = Turn("Assistant")
        self._show(turn)
        self._busy(True)
        self.task = start_task(self._answer(self._messages(prompt, history), turn))
        self.task.add_done_callback(lambda _: self._busy(False))  # also when stopped before it started
        return self.task

    def stop(self) -> None:
        """Cancel the streaming answer; the text received so far stays."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def new_chat(self) -> None:
        """Stop any answer and start an empty conversation (the attached bucket stays)."""
        self.stop()
        self.transcript.children = ()
        self._log = ConversationLog()
        self._say("New chat.")

    def attach_bucket(self, bucket: Any) -> str:
        """Ground later questions in a bucket: its id, or a BucketUploadWidget."""
        bucket_id = safe_name(getattr(bucket, "bucket_id", bucket), "bucket id")
        self.bucket_id = bucket_id
        self.bucket_line.value = note_html(f"Questions are grounded in bucket {bucket_id}.")
        return bucket_id

    def detach_bucket(self) -> None:
        self.bucket_id = None
        self.bucket_line.value = ""

    # -- internals --------------------------------------------------------------------
    def _on_provider(self, _change: Any = None) -> None:
        provider = get_registry().get(self.provider_select.value)
        models = provider.models
        self.model_select.options = [(m, m) for m in models] if models else [("(provider default)", "")]
        default = provider.default_model
        self.model_select.value = default if default in models else self.model_select.options[0][1]
        self.key_warning.value = note_html(provider.missing_key_message() or "", "warning")

    def _messages(self, prompt: str, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The request: system, history, and the prompt with the attached bucket as a
        ``{"bucket_id","url"}`` part that the conversation service expands."""
        messages = build_messages(prompt, self.system.value.strip() or None, history)
        if self.bucket_id:
            part = {"bucket_id": self.bucket_id, "url": f"/backend-api/v2/files/{self.bucket_id}"}
            messages[-1]["content"] = [part, {"type": "text", "text": prompt}]
        return messages

    def _say(self, message: str, kind: str = "info") -> None:
        self.status.value = note_html(message, kind)

    def _show(self, turn: Turn) -> None:
        self.transcript.children = (*self.transcript.children, turn)

    def _busy(self, busy: bool) -> None:
        self.send_button.disabled = busy
        self.stop_button.disabled = not busy

    async def _answer(self, messages: list[dict[str, Any]], turn: Turn) -> None:
        """Stream one answer into ``turn``; failures and Stop end up in the transcript, not as exceptions."""
        log = self._log  # New chat may replace it while this answer winds down
        item: dict[str, Any] = {"role": "assistant", "content": ""}
        try:
            async for event in astream(
                messages, provider=self.provider_select.value, model=self.model_select.value or None, **self.request_options
            ):
                self._apply(event, turn, item, log)
        except asyncio.CancelledError:
            item["finish"] = {"reason": "cancelled"}
            turn.note("Stopped.", "warning")
        except G4FError as exc:
            turn.note(str(exc), "error")
        except Exception as exc:  # noqa: BLE001 - any failure is shown inline; the widget keeps working
            turn.note(f"{type(exc).__name__}: {exc}", "error")
        finally:
            turn.render(force=True)
            item["content"] = turn.text
            if turn.reasoning_text:
                item["reasoning"] = {"text": turn.reasoning_text}
            if item["content"]:
                log.add(item)
            self.updated = log.touch()

    def _apply(self, event: Any, turn: Turn, item: dict[str, Any], log: ConversationLog) -> None:
        if isinstance(event, Content):
            turn.append(event.content)
        elif isinstance(event, Media):
            turn.append(("\n\n" if turn.text else "") + event.content)
        elif isinstance(event, Reasoning):
            turn.append_reasoning(event.token or (f"\n_{event.status}_\n" if event.status else ""))
        elif isinstance(event, ProviderInfo):
            turn.set_speaker("Assistant", f"{event.label or event.name} / {event.model}" if event.model else event.name)
            item["provider"] = to_wire(event)["provider"]
        elif isinstance(event, Usage):
            item["usage"] = to_wire(event)["usage"]
            turn.note(_usage_line(event))
        elif isinstance(event, Finish):
            item["finish"] = {"reason": event.reason}
        elif isinstance(event, (Error, Auth)):
            turn.note(event.message, "error")
        elif isinstance(event, Message):
            turn.note(event.message, "warning")
        elif isinstance(event, Title):
            log.title = event.title
