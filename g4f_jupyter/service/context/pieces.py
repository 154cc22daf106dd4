"""Context items as the text a model reads: one message per item, with a header saying what it is.

Terminal colour codes are removed from outputs and tracebacks; a notebook's outputs are
summarized (a few hundred characters per cell, errors as their one-line message); code is
fenced with a fence longer than any run of backticks inside it. A notebook or a selection
is kept as one part per cell, so trimming can drop whole cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ...core.runner import estimate_tokens
from .items import ContextItem

__all__ = ["Part", "Piece", "fenced", "outputs_text", "piece_of", "strip_ansi"]

# CSI sequences (colours, cursor moves), OSC sequences (titles, links) and the two-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_OUTPUT_CHARS = 300  # one output in a notebook summary
_CELL_OUTPUT_CHARS = 600  # all outputs of one cell in a notebook summary
_LANGUAGES = {
    "py": "python", "ipynb": "json", "js": "javascript", "ts": "typescript", "json": "json", "md": "markdown",
    "sql": "sql", "r": "r", "sh": "bash", "yaml": "yaml", "yml": "yaml", "toml": "toml", "html": "html",
    "css": "css", "c": "c", "cpp": "cpp", "h": "c", "java": "java", "go": "go", "rs": "rust", "jl": "julia",
}


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)


def fenced(text: str, language: str = "") -> str:
    """``text`` in a Markdown code fence that nothing inside it can close."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _joined(value: Any) -> str:
    """An nbformat multiline string: a string or a list of strings."""
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outputs_text(outputs: list[dict[str, Any]], *, summary: bool = False) -> str:
    """nbformat outputs as text: streams, results' ``text/plain`` (else their kinds), errors.

    ``summary`` keeps each output short and an error as its ``ename: evalue`` line.
    """
    texts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = _joined(output.get("text"))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data")
            data = data if isinstance(data, dict) else {}
            text = _joined(data.get("text/plain")) or "[" + ", ".join(sorted(data)) + "]"
        elif kind == "error":
            line = f"{_joined(output.get('ename'))}: {_joined(output.get('evalue'))}"
            trace = output.get("traceback")
            frames = "\n".join(t for t in trace if isinstance(t, str)) if isinstance(trace, list) else ""
            text = line if summary or not frames else frames
        else:
            continue
        text = strip_ansi(text).strip("\n")
        texts.append(_short(text, _OUTPUT_CHARS) if summary else text)
    return "\n".join(t for t in texts if t)


@dataclass(frozen=True)
class Part:
    """One block of a context message; trimming cuts ``text`` and keeps the rest around it."""

    text: str
    language: str | None = None  # fenced in this language when not None
    title: str = ""  # the line before it ("In [3]:")
    after: str = ""  # what follows it (a cell's outputs)

    def render(self) -> str:
        body = fenced(self.text, self.language) if self.language is not None else self.text
        return "\n".join(line for line in (self.title, body, self.after) if line)


def _cell_part(cell: dict[str, Any], language: str) -> Part | None:
    """One notebook cell: code fenced with its outputs summarized, Markdown as written."""
    source = _joined(cell.get("source")).strip("\n")
    if cell.get("cell_type") != "code":
        return Part(source, title="Markdown cell:") if source.strip() else None
    count = cell.get("execution_count")
    outputs = cell.get("outputs")
    shown = outputs_text([o for o in outputs if isinstance(o, dict)], summary=True) if isinstance(outputs, list) else ""
    if not source.strip() and not shown:
        return None
    after = f"Output:\n{_short(shown, _CELL_OUTPUT_CHARS)}" if shown else ""
    return Part(source, language, f"In [{count}]:" if isinstance(count, int) else "Code cell:", after)


@dataclass(frozen=True)
class Piece:
    """One context message: a header and its parts (one per cell for a notebook or a selection)."""

    kind: str
    header: str
    parts: tuple[Part, ...]
    keep_tail: bool = False  # cut from the front: a traceback ends with its error
    label: str = ""

    @cached_property
    def message(self) -> str:
        return "\n\n".join((self.header, *(part.render() for part in self.parts)))

    @cached_property
    def tokens(self) -> int:
        return estimate_tokens(self.message)


def _header(kind: str, label: str, cells: int | None) -> str:
    named = f" {label}" if label else ""
    if kind == "cell":
        return f"Notebook cell{named}:"
    if kind == "selection":
        return f"Selected notebook cells{named}:"
    if kind == "output":
        return f"Output of{named or ' the cell'} (terminal colour codes removed):"
    if kind == "notebook":
        count = f"{cells} cells, " if cells is not None else ""
        return f"The whole notebook{named} ({count}outputs summarized):"
    if kind == "file":
        return f"File{named}:"
    return f"Kernel variable{named} (a summary, not the data):"


def _language(item: ContextItem) -> str:
    if item.language is not None:
        return item.language
    if item.kind == "file":
        return _LANGUAGES.get(item.label.rpartition(".")[2].lower(), "") if "." in item.label else ""
    return "python"


def piece_of(item: ContextItem) -> Piece:
    """The message text of one context item."""
    language = _language(item)
    header = _header(item.kind, item.label, len(item.cells) if item.cells is not None else None)
    if item.cells is not None:
        parts = tuple(p for p in (_cell_part(cell, language) for cell in item.cells) if p is not None)
        return Piece(item.kind, header, parts, label=item.label)
    if item.outputs is not None:
        return Piece(item.kind, header, (Part(outputs_text(item.outputs), "text"),), True, item.label)
    text = item.text or ""
    if item.kind == "output":
        return Piece(item.kind, header, (Part(strip_ansi(text).strip("\n"), "text"),), True, item.label)
    fence = language if item.kind in ("cell", "selection", "file") else None
    return Piece(item.kind, header, (Part(text.strip("\n"), fence),), label=item.label)
