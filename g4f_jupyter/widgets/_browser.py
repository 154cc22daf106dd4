"""The two small browser parts the chat needs and ipywidgets lacks: a prompt box where Enter
sends (Shift+Enter starts a new line) and a copy-to-clipboard button.

Written as anywidget modules: a few lines of plain JavaScript shipped with the package,
no build step and no frontend extension of our own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

__all__ = ["CopyButton", "PromptInput"]

_PROMPT_ESM = """
function render({ model, el }) {
  const box = document.createElement("textarea");
  box.className = "g4f-prompt";
  box.style.cssText = "width:100%;box-sizing:border-box;resize:vertical;font:inherit;padding:4px 6px";
  const showValue = () => { box.value = model.get("value"); };
  const showLook = () => {
    box.placeholder = model.get("placeholder");
    box.rows = model.get("rows");
  };
  showValue();
  showLook();
  model.on("change:value", showValue);  // only when the kernel sets the text (after a send, say)
  model.on("change:placeholder change:rows", showLook);
  // The text goes to the kernel with the submit message, and on leaving the box (so Send sees it):
  // syncing every keystroke would let a late, throttled update bring back a box the kernel just cleared.
  box.addEventListener("change", () => { model.set("value", box.value); model.save_changes(); });
  box.addEventListener("keydown", (event) => {
    event.stopPropagation();  // typing belongs to the box, not to JupyterLab's shortcuts (Shift+Enter runs a cell)
    const modified = event.shiftKey || event.altKey || event.ctrlKey || event.metaKey;
    if (event.key !== "Enter" || modified || event.isComposing) return;
    event.preventDefault();  // Enter sends; Shift+Enter keeps its new line
    model.send({ event: "submit", text: box.value });
  });
  el.appendChild(box);
}
export default { render };
"""

_COPY_ESM = """
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const scratch = document.createElement("textarea");
    scratch.value = text;
    document.body.appendChild(scratch);
    scratch.select();
    document.execCommand("copy");
    scratch.remove();
  }
}
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "g4f-copy jupyter-button";
  button.title = "Copy the answer";
  const label = () => { button.textContent = "Copy"; };
  const show = () => { button.style.display = model.get("text") ? "" : "none"; };
  label();
  show();
  button.addEventListener("click", async () => {
    await copy(model.get("text"));
    button.textContent = "Copied";
    setTimeout(label, 1500);
  });
  model.on("change:text", show);
  el.appendChild(button);
}
export default { render };
"""


class PromptInput(anywidget.AnyWidget):
    """A text box whose Enter key submits; ``value`` holds the text when it is submitted or the box is left."""

    _esm = _PROMPT_ESM
    value = traitlets.Unicode("").tag(sync=True)
    placeholder = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.Int(3).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._submit_handlers: list[Callable[[], object]] = []
        self.on_msg(self._on_message)

    def on_submit(self, handler: Callable[[], object]) -> None:
        """Call ``handler`` when the user presses Enter (the box's value is already synced)."""
        self._submit_handlers.append(handler)

    def submit(self) -> None:
        """What pressing Enter does (also for code and tests)."""
        for handler in self._submit_handlers:
            handler()

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            if isinstance(content.get("text"), str):
                self.value = content["text"]
            self.submit()


class CopyButton(anywidget.AnyWidget):
    """A button that copies ``text`` to the clipboard; hidden while ``text`` is empty."""

    _esm = _COPY_ESM
    text = traitlets.Unicode("").tag(sync=True)
