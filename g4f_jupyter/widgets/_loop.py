"""Where widget work runs: as a task on the kernel's own event loop.

A notebook cell returns at once and the kernel keeps answering other cells and comm
messages while an answer streams; no second loop and no loop patching.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

__all__ = ["start_task"]


def start_task(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Schedule ``coro`` on the running loop (the kernel's), or the thread's current loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            coro.close()
            message = "widgets need an event loop: run them in a Jupyter kernel or inside async code"
            raise RuntimeError(message) from None
    return loop.create_task(coro)
