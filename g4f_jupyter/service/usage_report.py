"""A user's server reports its user's usage to the hub's ``g4f-usage`` service.

The server and its kernels record every turn in the data directory (:mod:`.usage_ledger`);
the server alone sends the totals of today and yesterday (UTC), with the hub token JupyterHub
gave it, every ``usage_report_seconds`` while they change. The service takes the user's name
from the token, never from the report, and keeps the largest totals per day, so a lost or
repeated report is mended by the next one. Outside JupyterHub nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import usage_ledger

__all__ = ["HUB_USAGE_SERVICE", "HUB_USAGE_URL_ENV", "report_periodically", "report_usage", "usage_service_url"]

log = logging.getLogger(__name__)

HUB_USAGE_SERVICE = "g4f-usage"
HUB_USAGE_URL_ENV = "G4F_HUB_USAGE_URL"


def usage_service_url() -> str | None:
    """The usage service as this server reaches it: ``$G4F_HUB_USAGE_URL`` (inside a cluster, its
    Service), else the hub's public origin plus ``services/g4f-usage/``; ``None`` outside JupyterHub."""
    explicit = os.environ.get(HUB_USAGE_URL_ENV)
    if explicit:
        return explicit.rstrip("/") + "/"
    hub = os.environ.get("JUPYTERHUB_PUBLIC_HUB_URL") or os.environ.get("JUPYTERHUB_PUBLIC_URL")
    if not hub or not os.environ.get("JUPYTERHUB_API_TOKEN"):
        return None
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(hub))
    prefix = os.environ.get("JUPYTERHUB_BASE_URL", "/").strip("/")
    return "/".join(part for part in (origin, prefix, "services", HUB_USAGE_SERVICE) if part) + "/"


def _report() -> dict[str, Any]:
    now = usage_ledger.clock()
    days = {usage_ledger.day_of(now - 86400), usage_ledger.day_of(now)}
    totals = {day: usage_ledger.day_totals(day) for day in sorted(days)}
    return {
        "days": {
            day: {name: {"requests": t.requests, "tokens": t.tokens} for name, t in providers.items()}
            for day, providers in totals.items()
        }
    }


async def report_usage(last: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Send the totals when they differ from ``last``; returns what the service now has (``last`` when
    nothing was sent or the service could not take it)."""
    url, token = usage_service_url(), os.environ.get("JUPYTERHUB_API_TOKEN")
    report = await asyncio.to_thread(_report)
    if not url or not token or report == last:
        return last
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url + "api/usage", json=report, headers={"Authorization": f"token {token}"})
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("the hub's usage service did not take this server's report: %s", exc)
        return last
    return report


async def report_periodically(seconds: float) -> None:
    """Report every ``seconds`` while the server runs (cancel the task to stop)."""
    last: dict[str, Any] | None = None
    while True:
        await asyncio.sleep(seconds)
        last = await report_usage(last)
