"""The chat widget: pick a provider and model (or let them be chosen), ask, and watch the answer stream in.

It asks the way every door does: the Python API (:func:`g4f_jupyter.api.astream`) with a
provider and model only when the user picked them, so "Automatic" gets the operator's
defaults and fallback; the pickers come from the catalog service (live model lists
included). The answer streams as a task on the kernel's own loop, so the cell returns at
once, other cells keep running, and Stop cancels the task (the embedded model stops at its
next token).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import ipywidgets as widgets
import traitlets

from ..api import astream
from ..errors import G4FError
from ..service.answer import AnswerState
from ..service.buckets import validate_bucket_id
from ..service.catalog import ProviderChoice, model_names, provider_choice, provider_choices, provider_models
from ..service.conversation import build_messages
from ..service.conversations import load_conversation, save_conversation
from ..service.prepare import prepare_messages
from ._browser import PromptInput
from ._conversation import ConversationLog
from ._loop import start_task
from ._render import note_html
from ._turn import Turn, stored_turn

__all__ = ["AUTOMATIC", "ChatWidget"]

AUTOMATIC = ""
"""The picker value for "no choice": the operator's default, then automatic fallback."""

_TRANSCRIPT_HEIGHT = "420px"

log = logging.getLogger(__name__)


def _provider_option(choice: ProviderChoice) -> tuple[str, str]:
    label = choice.label
    if choice.key.missing_message:
        label += f" — set {choice.key.variable or 'an API key'}"
    return label, choice.name


def _scroller(content: widgets.Widget) -> widgets.Box:
    """A box of bounded height that scrolls ``content`` and stays at its end as it grows.

    ``column-reverse`` anchors the scroll position to the bottom, so new turns stay in view
    without any script; the input below the box never moves. The content keeps its full
    height (no flex shrinking) so that the box scrolls instead of squeezing the turns.
    """
    content.layout.flex = "0 0 auto"
    return widgets.Box(
        [content],
        layout=widgets.Layout(
            display="flex", flex_flow="column-reverse", max_height=_TRANSCRIPT_HEIGHT, overflow_y="auto", width="100%"
        ),
    )


class ChatWidget(widgets.VBox):
    """A chat with any catalog provider; ``send(text)`` returns the streaming task.

    Each finished answer saves the chat in the chat store, so it is listed by the web page and
    the Lab panel; ``conversation="<id>"`` reopens a saved chat (its transcript shown, its
    history sent with the next question).
    """

    updated = traitlets.Int(0, help="stamp (ms) of the last finished answer; observed by ShareWidget")

    def __init__(
        self,
        provider: str | None = None,
        model: str | None = None,
        system: str = "",
        conversation: str | None = None,
        **options: Any,
    ) -> None:
        self._log = ConversationLog(load_conversation(conversation) if conversation else None)
        self.request_options = options
        self.provider_select = widgets.Dropdown(
            options=[("Automatic", AUTOMATIC), *(_provider_option(c) for c in provider_choices())],
            value=provider_choice(provider).name if provider else AUTOMATIC,
            description="Provider",
        )
        self.model_select = widgets.Dropdown(description="Model")
        self.key_warning = widgets.HTML()
        self.system = widgets.Textarea(
            value=system or self._log.system, placeholder="System prompt (optional)", rows=1, layout={"width": "100%"}
        )
        self.input = PromptInput(placeholder="Ask something… (Enter sends, Shift+Enter for a new line)", rows=3)
        self.send_button = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.new_button = widgets.Button(description="New chat", icon="plus")
        self.status = widgets.HTML()
        self.bucket_line = widgets.HTML()
        self.transcript = widgets.VBox([stored_turn(item) for item in self._log.items])
        self.task: asyncio.Task[None] | None = None
        self.bucket_id: str | None = None
        self._shown_in_cell: int | None = None
        self._models_task: asyncio.Task[None] | None = None
        self.prepare_task: asyncio.Task[None] | None = None  # the model reading an attached file ahead of the question
        super().__init__(
            [
                widgets.HBox([self.provider_select, self.model_select]),
                self.key_warning,
                self.system,
                _scroller(self.transcript),
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
        self.input.on_submit(lambda: self.send())
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
        turn = Turn("Assistant", waiting=True)
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
        bucket_id = validate_bucket_id(getattr(bucket, "bucket_id", bucket))
        self.bucket_id = bucket_id
        self.bucket_line.value = note_html(f"Questions are grounded in bucket {bucket_id}.")
        self.prepare_task = start_task(self._read_ahead(self._messages("", self.messages)))
        return bucket_id

    def detach_bucket(self) -> None:
        self.bucket_id = None
        self.bucket_line.value = ""

    # -- internals --------------------------------------------------------------------
    def _on_provider(self, _change: Any = None) -> None:
        name = self.provider_select.value
        if name == AUTOMATIC:
            self.model_select.options = [("Automatic", AUTOMATIC), *((m, m) for m in model_names())]
            self.model_select.value = AUTOMATIC
            self.key_warning.value = ""
            return
        choice = provider_choice(name)
        models = list(choice.models)
        self.model_select.options = [(m, m) for m in models] if models else [("(provider default)", AUTOMATIC)]
        first = self.model_select.options[0][1]
        self.model_select.value = choice.default_model if choice.default_model in models else first
        self.key_warning.value = note_html(choice.key.missing_message or "", "warning")
        if choice.live_models:
            self._refresh_models(name)

    def _refresh_models(self, name: str) -> None:
        """Ask a live provider for its models in the background; the catalog's list stands meanwhile."""
        if self._models_task is not None:
            self._models_task.cancel()
        with contextlib.suppress(RuntimeError):  # no event loop: the catalog's list is all there is
            self._models_task = start_task(self._load_models(name))

    async def _load_models(self, name: str) -> None:
        entries = await provider_models(name)
        if self.provider_select.value != name or not entries:
            return
        chosen = self.model_select.value
        self.model_select.options = [(e["label"], e["id"]) for e in entries]
        ids = [e["id"] for e in entries]
        self.model_select.value = chosen if chosen in ids else next((e["id"] for e in entries if e["default"]), ids[0])

    async def _read_ahead(self, messages: list[dict[str, Any]]) -> None:
        """Have the provider read the chat so far with the attached file while the question is typed.

        Only a head start: if it fails, the question reads the file itself.
        """
        try:
            await prepare_messages(
                messages,
                provider=self.provider_select.value or None,
                model=self.model_select.value or None,
                **self.request_options,
            )
        except Exception:
            log.debug("reading the attached file ahead of the question failed", exc_info=True)

    def _messages(self, prompt: str, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The request: system, history, and the prompt, grounded in the attached bucket."""
        buckets = [self.bucket_id] if self.bucket_id else []
        return build_messages(prompt, self.system.value.strip() or None, history, buckets=buckets)

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
        state = AnswerState()
        stopped = False
        try:
            async for event in astream(
                messages,
                provider=self.provider_select.value or None,
                model=self.model_select.value or None,
                **self.request_options,
            ):
                state.apply(event)
                turn.show(state)
        except asyncio.CancelledError:
            stopped = True
        except G4FError as exc:
            turn.note(str(exc), "error")
        except Exception as exc:  # any failure is shown inline; the widget keeps working
            turn.note(f"{type(exc).__name__}: {exc}", "error")
        finally:
            turn.finish(state, stopped=stopped)
            if state.title:
                log.title = state.title
            if state.text:
                log.add(state.item(finish_reason="cancelled" if stopped else None))
            self.updated = log.touch()
            await self._save(log, turn)

    async def _save(self, log: ConversationLog, turn: Turn) -> None:
        """Write the chat to the chat store (in a worker thread: the kernel's loop never waits on the disk)."""
        try:
            await asyncio.to_thread(save_conversation, log.id, log.as_dict(system=self.system.value.strip()))
        except G4FError as exc:
            turn.note(f"The chat was not saved: {exc}", "warning")
