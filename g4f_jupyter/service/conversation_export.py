"""A saved chat as a document for the Jupyter file browser: Markdown, or a notebook whose code runs.

The notebook has one markdown cell per question, and per answer its prose as markdown cells
and its fenced code blocks (read by the one fence parser, :mod:`.fences`) as code cells. The
notebook's language is the one most of its code is written in (Python when there is no code):
blocks in that language, and untagged blocks, become code cells; a block in another language
stays a fenced block in Markdown, so *Run All* never feeds a Python kernel shell or JSON.

Only documents are built here; the server saves them through Jupyter's contents manager.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from .conversations import DEFAULT_TITLE, answer_of, item_text, load_conversation
from .fences import CodeBlock, segments
from .validation import Text

__all__ = ["ExportRequest", "ExportedChat", "export_chat", "markdown_document", "notebook_document"]

_STEM_LENGTH = 60
# Tags that name one language (what models write after the fence), as the notebook names it.
_ALIASES = {
    **dict.fromkeys(("py", "python3", "py3", "ipython", "ipython3"), "python"),
    "js": "javascript", "ts": "typescript", "jl": "julia", "rs": "rust",
    **dict.fromkeys(("sh", "shell", "zsh", "console"), "bash"),
}
_PYTHON_KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _inside_root(directory: str) -> str:
    """A directory path relative to Jupyter's root: no absolute path, no ``..``, no NUL."""
    parts = directory.replace("\\", "/").strip("/").split("/")
    if directory.startswith("/") or "\0" in directory or ".." in parts:
        raise ValueError("a folder inside Jupyter's root, such as '' or 'notes/chats'")
    return "/".join(part for part in parts if part)


class ExportRequest(BaseModel):
    """``POST conversations/<id>/export``: which document, and the folder (of the file browser) to put it in."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["ipynb", "markdown"]
    directory: Annotated[Text, StringConstraints(max_length=1024), AfterValidator(_inside_root)] = ""


@dataclass(frozen=True)
class ExportedChat:
    """A file to create: its preferred name and its contents-manager model (without a path)."""

    name: str
    model: dict[str, Any]


def file_stem(title: str) -> str:
    """A file name from a chat's title: lower-case ASCII words joined by dashes (``chat`` when none are left)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return stem[:_STEM_LENGTH].rstrip("-") or "chat"


def _title(conversation: Mapping[str, Any]) -> str:
    title = conversation.get("title")
    return title if isinstance(title, str) and title.strip() else DEFAULT_TITLE


def _items(conversation: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [item for item in conversation.get("items") or [] if isinstance(item, dict)]


def _heading(item: Mapping[str, Any]) -> str:
    """``**You**``, or ``**Assistant** (provider · model)`` with who answered when it is known."""
    if item.get("role") == "user":
        return "**You**"
    if item.get("role") != "assistant":
        return f"**{str(item.get('role')).capitalize()}**"
    info = answer_of(item).provider
    who = [part for part in ((info.label or info.name), info.model) if part] if info is not None else []
    return "**Assistant**" + (f" ({' · '.join(who)})" if who else "")


def _preamble(conversation: Mapping[str, Any]) -> str:
    text = f"# {_title(conversation)}"
    system = conversation.get("system")
    if isinstance(system, str) and system.strip():
        text += "\n\n> **System prompt:** " + " ".join(system.split())
    return text


def markdown_document(conversation: Mapping[str, Any]) -> str:
    """The chat as one Markdown file: the title, then each turn under its heading, as written."""
    parts = [_preamble(conversation)]
    for item in _items(conversation):
        parts.append(f"{_heading(item)}\n\n{item_text(item).strip()}".rstrip())
    return "\n\n".join(parts) + "\n"


def _language(block: CodeBlock) -> str:
    return _ALIASES.get(block.language, block.language)


def _fenced(block: CodeBlock) -> str:
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`{3,}", block.body))])  # longer than any inside
    return f"{fence}{block.language}\n{block.body}\n{fence}"


def _notebook_language(items: list[dict[str, Any]]) -> str:
    """The language most tagged code blocks of the answers are in; Python when none is tagged."""
    counts = Counter(
        _language(part)
        for item in items
        if item.get("role") == "assistant"
        for part in segments(item_text(item))
        if isinstance(part, CodeBlock) and part.language
    )
    return counts.most_common(1)[0][0] if counts else "python"


def _answer_cells(heading: str, text: str, language: str) -> list[Any]:
    """An answer's cells: prose (after the heading) as markdown, its runnable blocks as code."""
    cells: list[Any] = []
    prose = [heading]
    for part in segments(text):
        if isinstance(part, CodeBlock) and _language(part) in ("", language):
            cells.append(new_markdown_cell("\n\n".join(prose)))
            cells.append(new_code_cell(part.body))
            prose = []
        else:
            prose.append(_fenced(part) if isinstance(part, CodeBlock) else part.strip("\n"))
    if prose:
        cells.append(new_markdown_cell("\n\n".join(prose)))
    return [cell for cell in cells if cell.source.strip()]


def notebook_document(conversation: Mapping[str, Any]) -> dict[str, Any]:
    """The chat as an nbformat 4 notebook (validated): turns as markdown cells, code blocks as code cells."""
    items = _items(conversation)
    language = _notebook_language(items)
    cells = [new_markdown_cell(_preamble(conversation))]
    for item in items:
        if item.get("role") == "assistant":
            cells += _answer_cells(_heading(item), item_text(item), language)
        else:
            cells.append(new_markdown_cell(f"{_heading(item)}\n\n{item_text(item).strip()}".rstrip()))
    metadata: dict[str, Any] = {"language_info": {"name": language}}
    if language == "python":
        metadata["kernelspec"] = dict(_PYTHON_KERNEL)
    notebook = new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(notebook)
    return dict(notebook)


def export_chat(conversation_id: str, format: Literal["ipynb", "markdown"]) -> ExportedChat:
    """The saved chat ``conversation_id`` as a file to create (404 if there is no such chat)."""
    conversation = load_conversation(conversation_id)
    stem = file_stem(_title(conversation))
    if format == "ipynb":
        notebook = notebook_document(conversation)
        return ExportedChat(f"{stem}.ipynb", {"type": "notebook", "format": "json", "content": notebook})
    return ExportedChat(f"{stem}.md", {"type": "file", "format": "text", "content": markdown_document(conversation)})
