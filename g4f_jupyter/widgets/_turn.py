"""One turn of the transcript: who speaks, collapsed reasoning, the Markdown body, a footer."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..service.answer import AnswerState
from ..service.conversations import answer_of, item_text
from ..throttle import Throttle
from ._browser import CopyButton
from ._render import markdown_outputs, note_html

__all__ = ["Turn", "stored_turn"]

_RENDER_INTERVAL = 0.1  # seconds between re-renders while tokens arrive
_THINKING = '<span class="g4f-thinking" style="color:#777;font-style:italic">thinking…</span>'


class Turn(widgets.VBox):
    """A transcript entry whose body re-renders as Markdown at most every 0.1 s while streaming.

    An answer's turn shows "thinking…" until its first token and gets a copy button when it ends.
    """

    def __init__(self, who: str, text: str = "", waiting: bool = False) -> None:
        self.header = widgets.HTML(f"<b>{html.escape(who)}</b>")
        self._detail = ""
        self.thinking = widgets.HTML(_THINKING if waiting else "")
        self.reasoning = widgets.Output()
        self.reasoning_box = widgets.Accordion(children=[self.reasoning], titles=("Reasoning",), selected_index=None)
        self.reasoning_box.layout.display = "none"
        self.body = widgets.Output()
        self.footer = widgets.HTML()
        self.copy = CopyButton()
        super().__init__([self.header, self.thinking, self.reasoning_box, self.body, self.footer, self.copy])
        self.add_class("g4f-turn")
        self.layout.flex = "0 0 auto"  # a turn keeps its height inside the scrolling transcript
        self.speaker = who
        self.text = text
        self.reasoning_text = ""
        self._renders = Throttle(_RENDER_INTERVAL)
        self.render(force=True)

    def set_speaker(self, who: str, detail: str = "") -> None:
        if (who, detail) == (self.speaker, self._detail):
            return
        self.speaker, self._detail = who, detail
        extra = f" <span style='color:#777'>· {html.escape(detail)}</span>" if detail else ""
        self.header.value = f"<b>{html.escape(who)}</b>{extra}"

    def show(self, state: AnswerState) -> None:
        """Follow a streaming answer: who answers, its text and reasoning (throttled)."""
        self.set_speaker(self.speaker, state.provider_line())
        self.text, self.reasoning_text = state.text, state.reasoning
        if self.text or self.reasoning_text:
            self.thinking.value = ""
        if self.reasoning_text:
            self.reasoning_box.layout.display = None
        self.render()

    def finish(self, state: AnswerState, stopped: bool = False) -> None:
        """The last rendering plus the footer: notices, usage, the failure or "Stopped."."""
        self.show(state)
        self.thinking.value = ""
        self.render(force=True)
        for notice in state.notices:
            self.note(notice, "warning")
        if state.usage_line():
            self.note(state.usage_line())
        if state.failure_message is not None:
            self.note(state.failure_message, "error")
        if stopped:
            self.note("Stopped.")
        self.copy.text = self.text

    def render(self, force: bool = False) -> None:
        """Push the text to the frontend, throttled so a fast stream does not flood the comm."""
        if force:
            self._renders.restart()
        elif not self._renders.due():
            return
        self.body.outputs = markdown_outputs(self.text)
        if self.reasoning_text:
            self.reasoning.outputs = markdown_outputs(self.reasoning_text)

    def note(self, message: str, kind: str = "info") -> None:
        """Add a line under the answer (usage, an error, 'Stopped.')."""
        self.thinking.value = ""
        self.footer.value += note_html(message, kind)


def stored_turn(item: dict[str, Any]) -> Turn:
    """A saved turn drawn as it was shown live: a question, or an answer with who gave it, usage and "Stopped."."""
    role = str(item.get("role"))
    if role != "assistant":
        return Turn("You" if role == "user" else role.capitalize(), item_text(item))
    turn = Turn("Assistant")
    state = answer_of(item)
    turn.finish(state, stopped=state.finish_reason == "cancelled")
    return turn
