"""Where a code suggestion ends: at the end of the statement the cursor is in, or of the block it opens.

Inline completion shows what the model writes as ghost text; a model left alone writes on
for many lines. Every provider's suggestion is cut by this one rule, as it streams, so a
local model stops generating and a remote stream is closed as soon as the statement is
complete. Brackets, strings and line continuations keep a statement going; in Python a
statement ending in ``:`` opens a block, which goes on while its lines are indented deeper
(``else``/``elif``/``except``/``finally`` at the opener's depth belong to it) and ends at a
blank line. When the cursor has text after it on its line, the suggestion is that line's
rest only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Cursor", "Suggestion", "suggestion_end", "trimmed"]

_PYTHON = frozenset({"python", "python3", "ipython", "ipython3", "cython", "sage"})
_SLASH_COMMENTS = frozenset({
    "javascript", "typescript", "java", "c", "c++", "cpp", "go", "rust", "scala", "kotlin", "swift", "c#", "csharp",
})
_HASH_COMMENTS = _PYTHON | {"r", "julia", "bash", "sh", "shell", "ruby", "perl", "powershell", "nim", "coffeescript"}
_CLOSERS = ")]}"
_CONTINUE_WORDS = ("else", "elif", "except", "finally", "case")
_BLOCK_CONTINUES = re.compile(rf"(?:{'|'.join(_CONTINUE_WORDS)})\b")


@dataclass(frozen=True)
class Cursor:
    """The cursor's line around it: what is before it (``head``) and after it (``tail``) on that line."""

    head: str
    tail: str = ""
    language: str = "python"

    @classmethod
    def of(cls, prefix: str, suffix: str, language: str) -> Cursor:
        return cls(prefix.rpartition("\n")[2], suffix.partition("\n")[0], language.strip().lower())


class _Scanner:
    """Bracket depth and string state over text fed in order (comments skipped, escapes honoured)."""

    def __init__(self, language: str) -> None:
        self.comment = "#" if language in _HASH_COMMENTS else "//" if language in _SLASH_COMMENTS else None
        self.depth = 0
        self.quote = ""  # the open string's delimiter: ', ", ''' or """ (or ` in JavaScript)

    def feed_line(self, line: str) -> str:
        """Scan one line (without its newline); return its code part with strings and comments left out."""
        code: list[str] = []
        i, n = 0, len(line)
        while i < n:
            if self.quote:
                if line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = ""
                    code.append("0")  # a string is a value: the code part does not end in ':' because of one
                    continue
                i += 1
                continue
            char = line[i]
            if self.comment and line.startswith(self.comment, i):
                break
            if char in "'\"`":
                triple = line[i : i + 3]
                self.quote = triple if triple in ("'''", '"""') else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in _CLOSERS:
                self.depth = max(self.depth - 1, 0)  # a bracket opened before the cursor's line closes here
            code.append(char)
            i += 1
        if self.quote in ("'", '"'):  # a one-line string does not run on to the next line
            self.quote = ""
        return "".join(code)

    @property
    def open(self) -> bool:
        """Inside brackets or a multi-line string: the statement goes on at the next line."""
        return self.depth > 0 or bool(self.quote)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _continues_block(stripped: str, complete: bool) -> bool:
    """``else:``, ``elif …``, ``except …``, ``finally:`` belong to the block before them (and a line still
    being written may become one)."""
    if _BLOCK_CONTINUES.match(stripped):
        return True
    return not complete and any(word.startswith(stripped) for word in _CONTINUE_WORDS)


def suggestion_end(cursor: Cursor, text: str) -> int | None:
    """The length of ``text`` (generated at the cursor) that makes the suggestion, or ``None`` while it goes on."""
    if cursor.tail.strip():
        newline = text.find("\n")
        return newline if newline >= 0 else None
    python = cursor.language in _PYTHON
    scanner = _Scanner(cursor.language)
    lines = text.split("\n")
    offset = 0  # where the current line starts in ``text`` (the head comes before the text)
    statement_indent: int | None = _indent(cursor.head) if cursor.head.strip() else None
    block_indent: int | None = None  # the indent of the statement whose block is being written
    for index, segment in enumerate(lines):
        line = cursor.head + segment if index == 0 else segment
        complete = index < len(lines) - 1
        if block_indent is not None and index > 0 and not scanner.open:
            if not line.strip():
                if complete:
                    return offset - 1  # a blank line ends the block
            elif _indent(line) <= block_indent and not _continues_block(line.strip(), complete):
                return offset - 1  # back at the opener's depth: the block is over
        if not complete:
            return None
        code = scanner.feed_line(line).rstrip()
        if statement_indent is None and code.strip():
            statement_indent = _indent(line)
        decorator = python and code.lstrip().startswith("@")
        if code.strip() and not scanner.open and not code.endswith("\\") and not decorator:
            if block_indent is None and python and code.endswith(":"):
                block_indent = statement_indent
            elif block_indent is None and text[: offset + len(segment)].strip():
                return offset + len(segment)  # the statement the suggestion wrote is complete
            statement_indent = None  # (a statement the cursor's line had completed is not the suggestion)
        offset += len(segment) + 1
    return None


def trimmed(cursor: Cursor, suggestion: str) -> str:
    """The suggestion without trailing blanks, and without the end of the cursor's line it would write again."""
    text = suggestion.rstrip()
    rest = cursor.tail.strip()
    if rest and "\n" not in text and text.endswith(rest):
        text = text[: -len(rest)].rstrip()
    return text


def _settled(cursor: Cursor, text: str) -> int:
    """How much of ``text`` the suggestion keeps whatever comes next: not its trailing blanks, nor an
    ending that may turn out to be the start of the cursor's line's rest (which :func:`trimmed` removes)."""
    kept = text.rstrip()
    rest = cursor.tail.strip()
    if rest and "\n" not in kept:
        for size in range(min(len(rest), len(kept)), 0, -1):
            if rest.startswith(kept[-size:]):
                kept = kept[:-size].rstrip()
                break
    return len(kept)


class Suggestion:
    """A suggestion as it streams: text generated at the cursor goes in, the part safe to show comes out.

    Nothing shown is ever taken back: text that the end of the statement, a ``stop`` string
    or the rest of the cursor's line may still remove is held until it is settled.
    """

    def __init__(self, cursor: Cursor, stop: tuple[str, ...] = ()) -> None:
        self.cursor = cursor
        self.stop = tuple(s for s in stop if s)
        self.text = ""
        self.shown = 0
        self.complete = False  # the statement (or block) is over: generating more is waste

    def add(self, piece: str) -> str:
        """Add generated text; return what may now be shown (often nothing)."""
        if self.complete:
            return ""
        self.text += piece
        ends = [i for i in (self.text.find(s) for s in self.stop) if i >= 0]
        end = suggestion_end(self.cursor, self.text)
        if end is not None or ends:
            self.text, self.complete = self.text[: min([*ends, *([end] if end is not None else [])])], True
            return self.finish()
        settled = _settled(self.cursor, self.text[: len(self.text) - self._stop_begun()])
        shown, self.shown = self.shown, max(self.shown, settled)
        return self.text[shown : self.shown]

    def _stop_begun(self) -> int:
        """The length of the longest end of the text that a stop string begins with."""
        return max((n for s in self.stop for n in range(min(len(s), len(self.text)), 0, -1)
                    if self.text.endswith(s[:n])), default=0)

    def finish(self) -> str:
        """The generation is over: what is left to show of the whole suggestion."""
        final = trimmed(self.cursor, self.text)
        shown, self.shown = self.shown, max(self.shown, len(final))
        return final[shown:]
