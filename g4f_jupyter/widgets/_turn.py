"""One turn of the transcript: who speaks, collapsed reasoning, the Markdown body, a footer."""

from __future__ import annotations

import html
import time

import ipywidgets as widgets

from ._render import markdown_outputs, note_html

__all__ = ["Turn"]

_RENDER_INTERVAL = 0.1  # seconds between re-renders while tokens arrive


class Turn(widgets.VBox):
    """A transcript entry whose body re-renders as Markdown at most every 0.1 s while streaming."""

    def __init__(self, who: str, text: str = "") -> None:
        self.header = widgets.HTML(f"<b>{html.escape(who)}</b>")
        self.reasoning = widgets.Output()
        self.reasoning_box = widgets.Accordion(children=[self.reasoning], titles=("Reasoning",), selected_index=None)
        self.reasoning_box.layout.display = "none"
        self.body = widgets.Output()
        self.footer = widgets.HTML()
        super().__init__([self.header, self.reasoning_box, self.body, self.footer])
        self.add_class("g4f-turn")
        self.speaker = who
        self.text = text
        self.reasoning_text = ""
        self._rendered_at = 0.0
        self.render(force=True)

    def set_speaker(self, who: str, detail: str = "") -> None:
        self.speaker = who
        extra = f" <span style='color:#777'>· {html.escape(detail)}</span>" if detail else ""
        self.header.value = f"<b>{html.escape(who)}</b>{extra}"

    def append(self, text: str) -> None:
        self.text += text
        self.render()

    def append_reasoning(self, text: str) -> None:
        self.reasoning_text += text
        self.reasoning_box.layout.display = None
        self.render()

    def render(self, force: bool = False) -> None:
        """Push the text to the frontend, throttled so a fast stream does not flood the comm."""
        now = time.monotonic()
        if not force and now - self._rendered_at < _RENDER_INTERVAL:
            return
        self._rendered_at = now
        self.body.outputs = markdown_outputs(self.text)
        if self.reasoning_text:
            self.reasoning.outputs = markdown_outputs(self.reasoning_text)

    def note(self, message: str, kind: str = "info") -> None:
        """Add a line under the answer (usage, an error, 'stopped')."""
        self.footer.value += note_html(message, kind)
