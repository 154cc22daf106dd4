"""``/version``: the installed version and the newest one on PyPI (or ``null`` offline)."""

from __future__ import annotations

import asyncio
import logging
import time
from importlib import metadata

from .._version import __version__
from ..core.drivers.http import async_client

__all__ = ["latest_version", "versions"]

log = logging.getLogger(__name__)

PYPI_URL = "https://pypi.org/pypi/g4f-jupyter/json"
_TIMEOUT = 2.0
_TTL = 3600.0
_cache: tuple[float, str | None] | None = None


def installed_version() -> str:
    """The installed distribution's version; a source checkout falls back to the package's own."""
    try:
        return metadata.version("g4f-jupyter")
    except metadata.PackageNotFoundError:
        return __version__


async def _fetch_latest() -> str | None:
    async with async_client(timeout=_TIMEOUT) as client:
        response = await client.get(PYPI_URL)
        if response.status_code != 200:
            return None
        version = response.json().get("info", {}).get("version")
    return str(version).lstrip("v") if version else None


async def latest_version() -> str | None:
    """Asked once an hour at most; a failure is remembered too, so offline pages stay fast."""
    global _cache
    if _cache is not None and time.monotonic() - _cache[0] < _TTL:
        return _cache[1]
    try:
        latest = await asyncio.wait_for(_fetch_latest(), _TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - offline or PyPI trouble is not the caller's error
        log.debug("latest version unavailable: %s", exc)
        latest = None
    _cache = (time.monotonic(), latest)
    return latest


async def versions() -> dict[str, str | None]:
    """The ``/version`` answer: what runs here, and what the page may offer as an update."""
    return {"version": installed_version(), "latest_version": await latest_version()}
