"""Run async streams from synchronous code, including inside a notebook.

A notebook's event loop is already running, so ``asyncio.run`` fails there. Instead of
patching the loop (nest-asyncio), one background thread owns a private loop; sync callers
hand it an async iterator and read its items through a queue. Interrupting the caller
(Ctrl-C, kernel Interrupt) cancels the task on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from typing import TypeVar

__all__ = ["background_loop", "iterate_sync"]

T = TypeVar("T")
_END = object()
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def background_loop() -> asyncio.AbstractEventLoop:
    """The process-wide loop that serves sync callers (started on first use)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="g4f-loop", daemon=True).start()
            _loop = loop
        return _loop


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def iterate_sync(make_stream: Callable[[], AsyncGenerator[T, None]]) -> Generator[T, None, None]:
    """Yield the items of ``make_stream()`` (run on the background loop) synchronously."""
    items: queue.Queue[object] = queue.Queue()

    async def pump() -> None:
        try:
            async for item in make_stream():
                items.put(item)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            items.put(_Failure(exc))
        finally:
            items.put(_END)

    future = asyncio.run_coroutine_threadsafe(pump(), background_loop())
    try:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        if not future.done():
            future.cancel()
            with contextlib.suppress(BaseException):  # cancelled or failed while closing: nothing to report
                future.result(timeout=2)
