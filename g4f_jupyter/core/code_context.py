"""What a code completion is asked: the text around the cursor, its language and where it is.

Every provider sees the same :class:`CodeContext`; the code before the cursor is cut to a
provider's budget here, from the start and at a line start, a quarter of the budget at a
time: while someone types, the cut stays where it was, so the prompt keeps its start and a
model that keeps its context (the embedded one) reads only what was typed since.
"""

from __future__ import annotations

from dataclasses import dataclass

from .code_end import Cursor

__all__ = ["CodeContext", "dropped", "from_line_start"]


@dataclass(frozen=True)
class CodeContext:
    """The cursor's surroundings: ``prefix``/``suffix`` of the cell or file, and the cell above it."""

    prefix: str
    suffix: str = ""
    language: str = "python"
    path: str = ""
    cell_context: str = ""

    @property
    def cursor(self) -> Cursor:
        return Cursor.of(self.prefix, self.suffix, self.language)

    def code_before(self) -> str:
        """The code the cursor follows: the cell above (when given), a blank line, then the prefix."""
        if not self.cell_context.strip():
            return self.prefix
        return self.cell_context.rstrip("\n") + "\n\n" + self.prefix


def dropped(total: int, budget: int) -> int:
    """How much to drop from the start of something ``total`` long to fit in ``budget``: a whole
    number of quarter budgets (0 when it fits), so the start moves seldom as the end grows."""
    if total <= budget:
        return 0
    step = max(budget // 4, 1)
    return -(-(total - budget) // step) * step


def from_line_start(text: str, cut: int) -> str:
    """``text`` from the first line that starts at or after ``cut`` (from ``cut`` itself in one long line)."""
    if cut <= 0:
        return text
    newline = text.find("\n", cut - 1)
    return text[newline + 1 :] if newline >= 0 else text[cut:]
