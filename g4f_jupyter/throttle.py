"""One rule for "not more often than": streamed text is shown or handed over at most every few ms.

A token stream can bring hundreds of pieces a second; redrawing a notebook output, a widget
or waking another event loop for each costs more than the piece is worth. The first call
is always due, so the first token shows at once.
"""

from __future__ import annotations

import time

__all__ = ["Throttle"]


class Throttle:
    """Says when a repeated action is due: at most once per ``interval`` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = float("-inf")

    def due(self) -> bool:
        """``True`` (and the clock restarts) when ``interval`` has passed since the last due call."""
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True

    def restart(self) -> None:
        """Count from now, as if the action had just run (a forced update)."""
        self._last = time.monotonic()
