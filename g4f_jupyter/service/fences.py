"""Code blocks in a model's answer: the one parser of Markdown code fences on the Python side.

``/create``'s ``filter_markdown`` and ``%%g4f -f code`` both ask "which code did the model
write?"; they must agree on what a fence is (backticks or tildes, three or more, an info
string, indented up to a few spaces) and on an answer cut short inside a block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CodeBlock", "code_blocks", "code_of", "segments"]

_CLOSED = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n(?P<body>.*?)^[ \t]*(?P=fence)[`~]*[ \t]*$", re.M | re.S
)
_OPEN = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n(?P<body>.*)\Z", re.M | re.S)


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its language tag (first word of the info string, lower-cased) and body."""

    language: str
    body: str
    closed: bool = True


def _language(info: str) -> str:
    words = info.strip().split()
    return words[0].lower() if words else ""


def segments(text: str) -> list[str | CodeBlock]:
    """The answer cut at its fences: prose (as written, blank pieces left out) and blocks, in order.

    What a notebook export needs: the prose around each block as well as the blocks.
    """
    parts: list[str | CodeBlock] = []
    end = 0
    for match in _CLOSED.finditer(text):
        parts += [text[end : match.start()], CodeBlock(_language(match["info"]), match["body"].rstrip("\n"))]
        end = match.end()
    unclosed = _OPEN.search(text, end)
    if unclosed:
        block = CodeBlock(_language(unclosed["info"]), unclosed["body"].strip("\n"), closed=False)
        parts += [text[end : unclosed.start()], block]
    else:
        parts.append(text[end:])
    return [part for part in parts if not isinstance(part, str) or part.strip()]


def code_blocks(text: str) -> list[CodeBlock]:
    """The answer's fenced blocks in order; a block the answer never closed comes last, marked open."""
    return [part for part in segments(text) if isinstance(part, CodeBlock)]


def code_of(text: str) -> str:
    """The code of an answer: its closed blocks joined, else the body of a block cut short, else the whole text."""
    blocks = code_blocks(text)
    closed = [block.body for block in blocks if block.closed]
    if closed:
        return "\n\n".join(closed).strip("\n")
    return blocks[0].body if blocks else text.strip("\n")
