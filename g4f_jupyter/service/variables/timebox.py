"""A hard time limit around code we do not control (a user object's ``__repr__``, ``__len__``, ...).

Checking the clock after such a call is not enough: a ``__repr__`` that sleeps for a minute
would hold the kernel for that minute. On the main thread (where a kernel runs user
expressions and magics) an interval timer interrupts the block with :class:`TimeUp` when its
share of time is used up, and again every 50 ms in case the object swallows the first one.
Code that never returns to the interpreter (one long C call) is only stopped when it returns;
off the main thread, where signals cannot be used, the deadline is checked between steps.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["Deadline", "TimeUp", "time_boxed"]

_REPEAT_SECONDS = 0.05


class TimeUp(BaseException):
    """The time given to a block ran out (a BaseException, so ``except Exception`` in user code lets it by)."""


class Deadline:
    """A point in time work must end by."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        """Raise :class:`TimeUp` once the deadline has passed (for loops of our own)."""
        if time.monotonic() >= self.end:
            raise TimeUp


class _Alarm:
    """Whether a ``SIGALRM`` should interrupt now (off between blocks, so a late signal does nothing)."""

    armed = False

    @classmethod
    def ring(cls, signum: int, frame: FrameType | None) -> None:
        if cls.armed:
            raise TimeUp


def _can_signal() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_boxed(seconds: float) -> Iterator[None]:
    """Run the block for at most ``seconds``; past that it is interrupted with :class:`TimeUp`.

    A timer or ``SIGALRM`` handler that was set before is put back afterwards.
    """
    if seconds <= 0:
        raise TimeUp
    if not _can_signal() or _Alarm.armed:  # off the main thread, or already inside a box
        yield
        return
    started = time.monotonic()
    previous_handler: Any = signal.signal(signal.SIGALRM, _Alarm.ring)
    if previous_handler is None:  # set outside Python: the default is the closest we can put back
        previous_handler = signal.SIG_DFL
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    _Alarm.armed = True
    try:
        yield
    finally:
        # A signal may land while we tidy up: retry until the timer is off and the handler restored.
        for _ in range(100):
            try:
                _Alarm.armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous_handler)
                break
            except TimeUp:
                continue
        if previous_timer[0] > 0:  # someone else's timer: give it back what it had left
            left = max(previous_timer[0] - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, previous_timer[1])
