"""What the server does when it starts and when it stops, so the extension app stays a thin door.

At start, temporary files a killed writer left in the data directory are removed and the relay
workers are set up (they start with the first answer they could take); once the loop runs, what
the server made to start is frozen out of full garbage collections, the user's hub groups are
asked for (so no request waits on the hub) and, under JupyterHub, usage starts going to the
hub's usage service. At stop, that reporting ends, the relay
workers end, pooled provider connections are closed and the embedded model's worker thread
is ended, instead of all being cut off when the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc

from ..core.drivers import http, local
from ..store.sweep import sweep_stale_temp_files
from . import relay_pool
from .hub_user import HubUnreachableError
from .policy import current_rules
from .settings import OperatorSettings
from .usage_report import report_periodically, report_usage, usage_service_url

__all__ = ["start", "started", "stop"]

_background: set[asyncio.Task[None]] = set()


def start(settings: OperatorSettings) -> int:
    """Sweep stale temporary files (returns how many were removed) and set up the relay workers."""
    relay_pool.configure(settings.relay_processes)
    return sweep_stale_temp_files()


async def started(settings: OperatorSettings) -> None:
    """On the running loop: set the server's start-up objects aside from full garbage collections, learn the
    user's hub groups (in a thread) and start reporting usage.

    A full collection walked every object Jupyter and its extensions made to start, stopping the loop
    for 130-200 ms (measured during a 500-stream burst); frozen, such pauses take a few ms.
    """
    gc.freeze()  # what the server loaded to start lives as long as it: full collections need not walk it again
    with contextlib.suppress(HubUnreachableError):  # a request will say so, with its 503
        await asyncio.to_thread(current_rules, settings)
    if settings.usage_report_seconds > 0 and usage_service_url():
        task = asyncio.create_task(report_periodically(settings.usage_report_seconds))
        _background.add(task)
        task.add_done_callback(_background.discard)


async def stop() -> None:
    """Stop reporting and the relay workers, close pooled provider connections (on the running loop) and stop
    the model's worker."""
    await relay_pool.stop()
    reporting = bool(_background)
    for task in list(_background):
        task.cancel()
    if reporting:  # the last minute's turns too, before the server goes
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(report_usage(), 5)
    await http.close_clients()
    await asyncio.to_thread(local.shutdown)  # waits for a running answer to stop at its next token
