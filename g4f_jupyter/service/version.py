"""``/version``: the installed version and the newest one on PyPI (or ``null`` offline).

Every page load asks, so the answer must be instant: the installed version is read once,
and PyPI is asked at most once an hour by one background check that every request shares.
Only the very first request waits for it (at most ``_TIMEOUT``); later ones answer from
the last result while a stale one is refreshed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from importlib import metadata

from .._version import __version__
from ..core.drivers.http import request, timeout
from ..core.events import loads

__all__ = ["installed_version", "latest_version", "versions"]

log = logging.getLogger(__name__)

PYPI_URL = "https://pypi.org/pypi/g4f-jupyter/json"
_TIMEOUT = 2.0
_TTL = 3600.0
_known: tuple[float, str | None] | None = None  # (when checked, what PyPI said)
_check: asyncio.Task[None] | None = None


@functools.cache
def installed_version() -> str:
    """The installed distribution's version (read once: scanning distributions is file I/O).

    A source checkout falls back to the package's own.
    """
    try:
        return metadata.version("g4f-jupyter")
    except metadata.PackageNotFoundError:
        return __version__


async def _fetch_latest() -> str | None:
    async with request("pypi", "GET", PYPI_URL, timeout=timeout(_TIMEOUT)) as response:
        if response.status != 200:
            return None
        version = loads(await response.read()).get("info", {}).get("version")
    return str(version).lstrip("v") if version else None


async def _refresh() -> None:
    """Ask PyPI once; a failure is remembered too, so offline pages stay fast."""
    global _known
    try:
        latest = await asyncio.wait_for(_fetch_latest(), _TIMEOUT)
    except Exception as exc:  # offline or PyPI trouble is not the caller's error
        log.debug("latest version unavailable: %s", exc)
        latest = None
    _known = (time.monotonic(), latest)


async def latest_version() -> str | None:
    """The newest version PyPI named in the last hour; ``None`` when unknown or offline."""
    global _check
    fresh = _known is not None and time.monotonic() - _known[0] < _TTL
    loop = asyncio.get_running_loop()
    if not fresh and (_check is None or _check.done() or _check.get_loop() is not loop):
        _check = loop.create_task(_refresh())
    if _known is None and _check is not None and _check.get_loop() is loop:
        await asyncio.shield(_check)  # the first answer waits for the one check, bounded by its timeout
    return _known[1] if _known is not None else None


async def versions() -> dict[str, str | None]:
    """The ``/version`` answer: what runs here, and what the page may offer as an update."""
    return {"version": installed_version(), "latest_version": await latest_version()}
