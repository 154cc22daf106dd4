"""How late an event loop runs, so that relayed streams give way when it is behind.

The server's loop that relays answers also serves the contents API, kernel websockets and every page
(a relay worker's loop only relays; its streams pause the same way and spend less CPU for it).
When streams want more CPU than one core has, every callback waits a whole round of the loop
(a notebook save waited 250 ms behind 500 streams). A stream that then pauses before reading
its provider on lets the next events pile up, and they leave in one read and one write instead
of one each: the relay needs less CPU, the rounds get short, and Jupyter's own requests are
answered. While the loop keeps up (under :data:`LATE` behind), nothing pauses.
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["LATE", "LoopLag", "loop_lag"]

LATE = 0.005
"""How far behind the loop may run before streams pause (seconds); a quiet server is ~0.1 ms behind."""

_LONGEST_PAUSE = 0.1  # what a stream may add to its events' delay, at most
_INTERVAL = 0.01  # how often the loop's delay is sampled while streams run


class LoopLag:
    """How late a timer fires on one loop, sampled only while at least one stream runs."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._streams = 0
        self._timer: asyncio.TimerHandle | None = None
        self.behind = 0.0
        """The loop's recent delay in seconds (smoothed over a few samples)."""

    def stream_started(self) -> None:
        self._streams += 1
        if self._timer is None:
            self._schedule()

    def stream_ended(self) -> None:
        self._streams -= 1
        if self._streams <= 0 and self._timer is not None:
            self._timer.cancel()
            self._timer, self._streams, self.behind = None, 0, 0.0

    def pause(self) -> float:
        """How long a stream should wait before reading on: 0 while the loop keeps up, else as long
        as the loop is behind (at most 0.1 s)."""
        return min(self.behind, _LONGEST_PAUSE) if self.behind > LATE else 0.0

    def _schedule(self) -> None:
        due = self._loop.time() + _INTERVAL
        self._timer = self._loop.call_at(due, self._sample, due)

    def _sample(self, due: float) -> None:
        self.behind = (self.behind + (self._loop.time() - due)) / 2
        self._schedule()


_monitors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopLag] = weakref.WeakKeyDictionary()


def loop_lag() -> LoopLag:
    """The running loop's monitor (made on first use)."""
    loop = asyncio.get_running_loop()
    monitor = _monitors.get(loop)
    if monitor is None:
        monitor = _monitors[loop] = LoopLag(loop)
    return monitor
