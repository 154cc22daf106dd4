"""The one trimming rule: which context fits a token budget, and what is cut or left out.

Pieces are considered most relevant first: by kind (:data:`RANK`: the active cell, then
outputs and errors, the selection, variables, files, the whole notebook) and, within a kind,
the one listed last first (the newest). Each piece that fits in what is left is kept whole.
One that does not fit is cut to what is left, if at least :data:`MIN_CUT_TOKENS` are left
(and at least 80 characters of it can stay): a notebook or a selection keeps its last whole
cells (else the beginning of its last cell), an output keeps its end (where a traceback names
the error), anything else its beginning; otherwise it is left out. Kept pieces go out in the
order they were given; a cut one says so in its header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .pieces import Piece

__all__ = ["MIN_CUT_TOKENS", "RANK", "Fitted", "fit"]

RANK = {"cell": 0, "output": 1, "selection": 2, "variable": 3, "file": 4, "notebook": 5}
MIN_CUT_TOKENS = 32
_MIN_CUT_CHARS = 80  # a cut piece keeps at least this much of its text, else it is left out
_CUT = "…"


@dataclass(frozen=True)
class Fitted:
    """The pieces that fit (some cut), in their given order, and a line for each one cut or left out."""

    pieces: list[Piece]
    notes: list[str]
    budget: int

    @property
    def tokens(self) -> int:
        return sum(piece.tokens for piece in self.pieces)


def _noted(header: str, note: str) -> str:
    """``File x.py [cut to fit: …]:``: the note goes before the header's closing colon."""
    return f"{header.removesuffix(':')} [cut to fit: {note}]:"


def _name(piece: Piece) -> str:
    return f"{piece.kind} {piece.label}".strip()


def _last_parts(piece: Piece, limit: int) -> Piece | None:
    """The piece with as many of its last parts (cells) as fit in ``limit`` tokens."""
    total = len(piece.parts)
    chars = len(_noted(piece.header, f"the last {total:,} of {total:,} cells"))
    kept = 0
    for part in reversed(piece.parts):
        chars += 2 + len(part.render())
        if (chars + 3) // 4 > limit:
            break
        kept += 1
    while kept:
        header = _noted(piece.header, f"the last {kept:,} of {total:,} cells")
        cut = dataclasses.replace(piece, header=header, parts=piece.parts[-kept:])
        if cut.tokens <= limit:
            return cut
        kept -= 1
    return None


def _cut_text(piece: Piece, limit: int) -> Piece | None:
    """The piece with its (last) part's text cut to fit in ``limit`` tokens."""
    part = piece.parts[-1]
    total = len(part.text)
    end = "end" if piece.keep_tail else "beginning"
    multiple = f" of the last of {len(piece.parts):,} cells" if len(piece.parts) > 1 else ""

    def cut(keep: int) -> Piece:
        text = _CUT + part.text[total - keep :] if piece.keep_tail else part.text[:keep] + _CUT
        header = _noted(piece.header, f"{keep:,} of {total:,} characters{multiple}, the {end}")
        return dataclasses.replace(piece, header=header, parts=(dataclasses.replace(part, text=text),))

    keep = min(limit * 4 - (len(cut(0).message) + 8), total)  # + 8: the digits of the kept count
    while keep >= _MIN_CUT_CHARS:
        candidate = cut(keep)
        if candidate.tokens <= limit:
            return candidate
        keep -= (candidate.tokens - limit) * 4
    return None


def _shrunk(piece: Piece, limit: int) -> Piece | None:
    if len(piece.parts) > 1:
        shrunk = _last_parts(piece, limit)
        if shrunk is not None:
            return shrunk
    return _cut_text(piece, limit) if piece.parts else None


def fit(pieces: Sequence[Piece], budget: int) -> Fitted:
    """The pieces that fit in ``budget`` tokens by the rule above."""
    order = sorted(range(len(pieces)), key=lambda i: (RANK[pieces[i].kind], -i))
    left = budget
    kept: dict[int, Piece] = {}
    notes: list[str] = []
    for index in order:
        piece = pieces[index]
        if piece.tokens <= left:
            kept[index] = piece
        elif left >= MIN_CUT_TOKENS and (shrunk := _shrunk(piece, left)) is not None:
            kept[index] = shrunk
            notes.append(f"{_name(piece)}: cut to {shrunk.tokens:,} of {piece.tokens:,} tokens")
        else:
            notes.append(f"{_name(piece)}: left out ({piece.tokens:,} tokens, {max(left, 0):,} left)")
            continue
        left -= kept[index].tokens
    return Fitted([kept[i] for i in sorted(kept)], notes, budget)
