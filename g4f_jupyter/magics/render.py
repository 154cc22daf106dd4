"""Show a streaming answer in a cell's output, and turn the final text into a format.

In a kernel the answer grows in one output through a display handle (updates are
throttled, the last one always goes out). A terminal shell cannot update an output in
place, so there the text deltas are written to stdout as they arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Iterable
from typing import Any

from IPython.display import HTML, JSON, Code, DisplayHandle, Image, Markdown, Math, Pretty, display

from ..core.events import Media
from ..errors import G4FError
from ..service.fences import code_of
from ..service.generated import MEDIA_URL
from ..service.media import media_file
from ..throttle import Throttle

__all__ = [
    "CODE_MIME", "Answer", "LiveOutput", "render", "show_code_cell", "show_error", "show_media", "show_text",
]

# The bundle our JupyterLab extension turns into (or writes over) the code cell below the asking
# cell; the name is shared with labextension/src/codecells.ts.
CODE_MIME = "application/vnd.g4f-jupyter.code+json"
_CODE_PLACED = "The code is in the cell below (a re-run of this cell replaces it)."



class Answer(str):
    """The answer as the cell's value: ``Out[n]`` and ``_`` hold the text and show it as Markdown.

    The cell that asked already shows the streamed answer, so there it displays nothing
    a second time; shown from any later cell it renders as Markdown.
    """

    cell: int | None

    def __new__(cls, text: str, cell: int | None = None) -> Answer:
        answer = super().__new__(cls, text)
        answer.cell = cell
        return answer

    def _repr_markdown_(self) -> str:
        return str(self)

    def _ipython_display_(self) -> None:
        from IPython import get_ipython

        shell = get_ipython()
        if self.cell is not None and getattr(shell, "execution_count", None) == self.cell:
            return
        display({"text/markdown": str(self), "text/plain": str(self)}, raw=True)


def render(text: str, fmt: str, final: bool = True) -> Any:
    """The IPython display object for ``text`` in format ``fmt``.

    While streaming (``final=False``) formats that need the whole answer (json, code)
    show the raw text.
    """
    if fmt in ("markdown", "image"):  # image: the text as Markdown, the pictures shown after it
        return Markdown(text)
    if fmt == "html":
        return HTML(code_of(text) if final else text)
    if fmt == "math":
        return Math(code_of(text) if final else text)
    if fmt == "code":
        return Code(code_of(text), language="python") if final else Markdown(text)
    if fmt == "json" and final:
        try:
            data = json.loads(code_of(text))
        except ValueError:
            return Pretty(text)
        return JSON(data) if isinstance(data, (dict, list)) else Pretty(json.dumps(data))
    return Pretty(text)


def _is_kernel(shell: Any) -> bool:
    """A kernel's frontend updates outputs in place; a terminal only appends."""
    return getattr(shell, "kernel", None) is not None


class LiveOutput:
    """One growing output for one answer."""

    def __init__(self, shell: Any, fmt: str, interval: float = 0.05) -> None:
        self.fmt = fmt
        self._updates = Throttle(interval)
        self.rich = _is_kernel(shell)
        self._handle: DisplayHandle | None = None
        self._shown = 0  # characters already written (terminal) or last shown length (kernel)

    def update(self, text: str) -> None:
        """Show ``text`` (the whole answer so far), at most once per ``interval``."""
        if not self.rich:
            sys.stdout.write(text[self._shown :])
            sys.stdout.flush()
            self._shown = len(text)
            return
        if not self._updates.due():
            return
        self._show(render(text, self.fmt, final=False))
        self._shown = len(text)

    def finish(self, text: str, note: str = "") -> None:
        """The last update: the final rendering, plus a short note (``[interrupted]``)."""
        if not self.rich:
            sys.stdout.write(text[self._shown :])
            sys.stdout.write(f"\n{note}\n" if note else "\n")
            sys.stdout.flush()
            return
        if self._handle is None and not text and not note:
            return
        shown = text + (f"\n\n{note}" if note and self.fmt == "markdown" else "")
        self._show(render(shown, self.fmt, final=True))
        if note and self.fmt != "markdown":
            show_text(note)

    def _show(self, obj: Any) -> None:
        if self._handle is None:
            self._handle = display(obj, display_id=True)
        else:
            self._handle.update(obj)


def show_error(message: str) -> None:
    """A one-line error: stderr (red in notebook frontends), no traceback."""
    print(" ".join(message.split()) or "error", file=sys.stderr)


def show_text(plain: str, markdown: str | None = None) -> None:
    """Text for the terminal, Markdown for notebook frontends."""
    bundle = {"text/plain": plain}
    if markdown is not None:
        bundle["text/markdown"] = markdown
    display(bundle, raw=True)


def show_code_cell(code: str, source_cell: str) -> None:
    """Ask the notebook's extension to put ``code`` into the code cell that belongs to ``source_cell``.

    Frontends without the extension show the note instead (they render the text fallbacks).
    """
    display(
        {CODE_MIME: {"code": code, "source_cell": source_cell}, "text/plain": _CODE_PLACED,
         "text/markdown": f"*{_CODE_PLACED}*"},
        raw=True,
    )


def _picture(url: str) -> Image:
    """A displayable picture: saved media read from the data directory, inline data decoded, else linked."""
    if url.startswith(MEDIA_URL):
        return Image(data=media_file(url[len(MEDIA_URL):].split("?", 1)[0]).read_bytes())
    if url.startswith("data:"):
        return Image(data=base64.b64decode(url.partition(",")[2], validate=True))
    return Image(url=url)


def show_media(media: Iterable[Media]) -> None:
    """Every picture of the answer in the cell (``-f image``); one that cannot be read is a one-line error."""
    for event in media:
        for url in event.urls:
            try:
                display(_picture(url))
            except (G4FError, OSError, ValueError, binascii.Error) as exc:
                show_error(f"cannot show {url[:80]}: {exc}")
