"""``%g4f explain`` / ``fix`` / ``error``: the one cell they are about, and what to ask about it.

They send that cell's source and its traceback as context items (the service fits them to the
model), the question below them, the ``-s`` system prompt, and no earlier exchanges: an
explanation of one error must not be mixed with unrelated code from earlier questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from ..service.context import cell_item, output_item
from .history import ERR_NAME, last_failed_cell

__all__ = ["CellQuestion", "cell_question"]

_ASK = {
    ("explain", True): "Explain the error of the notebook cell above and how to fix it, briefly.",
    ("explain", False): "Explain briefly what the notebook cell above does.",
    ("fix", True): (
        "Fix the notebook cell above so that it runs without this error. Reply with the whole corrected cell "
        "in one ```python code block, then say in one sentence what you changed."
    ),
    ("fix", False): (
        "Find and fix the mistakes in the notebook cell above. Reply with the whole corrected cell "
        "in one ```python code block, then say in one sentence what you changed."
    ),
}


@dataclass(frozen=True)
class CellQuestion:
    """What ``explain``/``fix`` send: the question, and the cell (and its error) as context items."""

    number: int
    prompt: str
    context: list[dict[str, Any]]


def _sources(shell: Any) -> list[str]:
    """The cells' raw inputs by execution count (``In`` holds them after IPython's rewriting)."""
    raw = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return list(raw) if isinstance(raw, list) else list(shell.user_ns.get("In", []))


def cell_question(shell: Any, action: str, number: int | None) -> CellQuestion | None:
    """The question about cell ``number`` (default: the newest that failed); ``None`` when none failed.

    A number that names no cell is a :class:`UsageError`.
    """
    sources = _sources(shell)
    if number is None:
        number = last_failed_cell(shell.user_ns, sources)
        if number is None:
            return None
    elif not 0 < number < len(sources):
        raise UsageError(f"there is no cell {number}: cells run so far are 1 to {len(sources) - 1}")
    errors = shell.user_ns.get(ERR_NAME)
    error = errors.get(number) if isinstance(errors, dict) else None
    label = f"In [{number}]"
    source = sources[number] if 0 < number < len(sources) else ""
    context = [cell_item(source, label)] + ([output_item(error, label)] if error else [])
    return CellQuestion(number, _ASK[action, bool(error)], context)
