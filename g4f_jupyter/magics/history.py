"""What a shell remembers between ``%g4f`` calls: earlier exchanges and failed cells' tracebacks."""

from __future__ import annotations

import traceback
from collections import deque
from collections.abc import Sequence
from types import TracebackType
from typing import Any

__all__ = ["ERR_NAME", "History", "last_error", "last_failed_cell", "record_error"]

ERR_NAME = "Err"


class History:
    """The exchanges of one shell, newest last; older ones fall off past ``limit``."""

    def __init__(self, limit: int = 50) -> None:
        self._exchanges: deque[tuple[str, str]] = deque(maxlen=limit)

    def __len__(self) -> int:
        return len(self._exchanges)

    def record(self, prompt: str, answer: str) -> None:
        self._exchanges.append((prompt, answer))

    def clear(self) -> None:
        self._exchanges.clear()

    def messages(self, last: int) -> list[dict[str, Any]]:
        """The newest ``last`` exchanges as chat messages (oldest first)."""
        if last <= 0:
            return []
        recent = list(self._exchanges)[-last:]
        return [m for q, a in recent for m in ({"role": "user", "content": q}, {"role": "assistant", "content": a})]


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the cell's own code on: IPython's frames say nothing to the model."""
    while tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).startswith("IPython."):
        tb = tb.tb_next
    return tb


def record_error(user_ns: dict[str, Any], result: Any) -> None:
    """``post_run_cell`` hook: keep a failed cell's traceback text as ``Err[n]``."""
    error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    count = getattr(result, "execution_count", None)
    if error is None or count is None:
        return
    text = "".join(traceback.format_exception(type(error), error, _user_frames(error.__traceback__)))
    errors = user_ns.get(ERR_NAME)
    if not isinstance(errors, dict):
        errors = user_ns[ERR_NAME] = {}
    errors[count] = text


def last_error(user_ns: dict[str, Any]) -> tuple[int, str] | None:
    """The newest recorded traceback and its execution count."""
    errors = user_ns.get(ERR_NAME)
    if not isinstance(errors, dict) or not errors:
        return None
    count = max(errors)
    return count, errors[count]


def _asks(source: str) -> bool:
    """Whether a cell is a ``%g4f`` call: its own mistakes are not what ``explain``/``fix`` are for."""
    return source.lstrip().startswith(("%g4f", "%%g4f"))


def last_failed_cell(user_ns: dict[str, Any], sources: Sequence[str]) -> int | None:
    """The execution count of the newest failed cell that is not a ``%g4f`` call (``sources``: the raw inputs)."""
    errors = user_ns.get(ERR_NAME)
    if not isinstance(errors, dict):
        return None
    failed = [n for n in errors if isinstance(n, int) and not (0 < n < len(sources) and _asks(sources[n]))]
    return max(failed, default=None)
