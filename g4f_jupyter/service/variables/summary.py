"""Summaries of kernel variables for a model: bounded in time and in size, whatever the values do.

The whole call has a time limit (1 s by default). Each variable gets an equal share of what
is left, enforced while it is being described (see :mod:`.timebox`), so one slow or hostile
value costs only its share and the others are still summarized. Each summary's text is cut
to ``max_chars``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .describe import Limits, describe, type_name
from .timebox import Deadline, TimeUp, time_boxed

__all__ = ["VariableSummary", "summarize"]

SECONDS = 1.0
MAX_CHARS = 3_000


@dataclass(frozen=True)
class VariableSummary:
    """One variable as a model gets it: ``text`` is the Markdown sent; the rest is for chips and completion."""

    name: str
    type: str | None
    shape: tuple[int, ...] | None
    length: int | None
    text: str
    truncated: bool = False
    error: str | None = None  # "not defined", "timed out", or the exception type its repr raised

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "shape": list(self.shape) if self.shape is not None else None,
            "length": self.length, "text": self.text, "truncated": self.truncated, "error": self.error,
        }


def _cut(text: str, max_chars: int) -> tuple[str, bool]:
    if len(text) <= max_chars:
        return text, False
    note = f"\n… [cut at {max_chars:,} characters]"
    return text[: max(max_chars - len(note), 0)] + note, True


def _summarize_one(
    namespace: Mapping[str, Any], name: str, seconds: float, limits: Limits, max_chars: int
) -> VariableSummary:
    if name not in namespace:
        return VariableSummary(name, None, None, None, f"`{name}`: not defined", error="not defined")
    value = namespace[name]
    kind = type_name(value)
    title = f"`{name}`: {kind}"
    try:
        with time_boxed(seconds):
            description = describe(value, limits, Deadline(seconds))
    except TimeUp:
        note = f"{title} (not summarized: it took longer than {seconds:.2f} s)"
        return VariableSummary(name, kind, None, None, note, error="timed out")
    except Exception as exc:  # a value whose __repr__, __len__ or shape raises
        note = f"{title} (not summarized: it raised {type(exc).__name__})"
        return VariableSummary(name, kind, None, None, note, error=type(exc).__name__)
    headline = f"{title}, {description.headline}" if description.headline else title
    text, truncated = _cut("\n".join([headline, *description.lines]), max_chars)
    return VariableSummary(name, kind, description.shape, description.length, text, truncated)


def summarize(
    namespace: Mapping[str, Any],
    names: Sequence[str],
    *,
    seconds: float = SECONDS,
    max_chars: int = MAX_CHARS,
    limits: Limits | None = None,
) -> list[VariableSummary]:
    """A summary of each named variable of ``namespace``, all within ``seconds`` (≤ ``max_chars`` each)."""
    deadline = Deadline(seconds)
    limits = limits or Limits()
    summaries = []
    for done, name in enumerate(names):
        share = deadline.remaining() / (len(names) - done)
        summaries.append(_summarize_one(namespace, name, share, limits, max_chars))
    return summaries
