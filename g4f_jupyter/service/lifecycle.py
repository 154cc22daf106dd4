"""What the server does when it starts and when it stops, so the extension app stays a thin door.

At start, temporary files a killed writer left in the data directory are removed. At stop,
pooled provider connections are closed and the embedded model's worker thread is ended,
instead of both being cut off when the process exits.
"""

from __future__ import annotations

import asyncio

from ..core.drivers import http, local
from ..store.sweep import sweep_stale_temp_files

__all__ = ["start", "stop"]


def start() -> int:
    """Sweep stale temporary files; returns how many were removed."""
    return sweep_stale_temp_files()


async def stop() -> None:
    """Close pooled provider connections (on the running loop) and stop the model's worker."""
    await http.close_clients()
    await asyncio.to_thread(local.shutdown)  # waits for a running answer to stop at its next token
