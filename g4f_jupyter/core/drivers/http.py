"""Outgoing HTTP clients: one pooled client per provider per event loop, and their errors.

Building an ``httpx.AsyncClient`` costs ~20 ms of CPU (its TLS context), and a new client
also means a new TCP (and TLS) connection per request. So each provider gets one client
per event loop, made on first use and kept with its keep-alive connections: the server's
loop, the kernel's background loop and the kernel's own loop each have their own, because
an httpx client must never be used from a loop other than the one it was made on.

Every client honours the same environment, read at call time: ``trust_env`` gives
HTTP(S)_PROXY, ALL_PROXY and NO_PROXY; CA files come from REQUESTS_CA_BUNDLE (users of
requests-based tools already set it) or SSL_CERT_FILE/SSL_CERT_DIR. A change to any of these
gets a new client.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import ssl
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import certifi
import httpx

from ...errors import ProviderHTTPError, ProviderUnreachableError

__all__ = ["async_client", "close_clients", "pooled_client", "raise_for_status", "reachable"]

_ENVIRONMENT = (
    "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
)
_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# No cap on connections (a burst of streams must not queue for a pool slot, which ends in a
# timeout); idle ones are kept for the next burst up to a bound, then closed.
_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=256, keepalive_expiry=30.0)

_Clients = dict[tuple[str, tuple[str | None, ...]], httpx.AsyncClient]  # by (owner, environment)
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Clients] = weakref.WeakKeyDictionary()
_pools_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _ssl_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """One verifying TLS context per CA setting, shared by every client (building one is the costly part)."""
    if cafile is None and capath is None:
        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)


def _verify() -> ssl.SSLContext:
    cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or None
    return _ssl_context(cafile, os.environ.get("SSL_CERT_DIR") or None)


def _new_client(timeout: httpx.Timeout, headers: dict[str, str] | None, limits: httpx.Limits) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout, headers=headers, trust_env=True, verify=_verify(), follow_redirects=True, limits=limits
    )


def async_client(timeout: float = 60.0, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A one-off client the caller closes (``async with``); for repeated calls use :func:`pooled_client`."""
    return _new_client(httpx.Timeout(timeout, connect=10.0), headers, httpx.Limits())


def pooled_client(owner: str) -> httpx.AsyncClient:
    """The running loop's client for ``owner`` (a provider name), made on first use and reused.

    Per-request settings (headers, timeout) go on each request, so one client serves every
    key and endpoint of the provider. Never close it: :func:`close_clients` does.
    """
    loop = asyncio.get_running_loop()
    key = (owner, tuple(os.environ.get(name) for name in _ENVIRONMENT))
    with _pools_lock:
        clients = _pools.get(loop)
        if clients is None:
            clients = _pools[loop] = {}
        client = clients.get(key)
        if client is None or client.is_closed:
            client = clients[key] = _new_client(_TIMEOUT, None, _LIMITS)
    return client


async def close_clients() -> None:
    """Close every pooled client of the running loop (the server extension's stop hook awaits this)."""
    with _pools_lock:
        clients = list(_pools.pop(asyncio.get_running_loop(), {}).values())
    for client in clients:
        await client.aclose()


@atexit.register
def _close_at_exit() -> None:
    """At process exit, close the clients of loops still running in other threads (the kernel's background loop).

    A stopped loop that is not closed runs its closing once more; a closed loop's sockets are already gone.
    """
    with _pools_lock:
        loops = [loop for loop in list(_pools.keys()) if not loop.is_closed()]
    for loop in loops:
        with suppress(Exception):
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(close_clients(), loop).result(timeout=2)
            else:
                loop.run_until_complete(close_clients())


async def raise_for_status(response: httpx.Response, provider: str) -> None:
    """:class:`ProviderHTTPError` with the server's own message for a non-2xx answer."""
    if response.status_code < 400:
        return
    body = (await response.aread()).decode("utf-8", "replace")
    message = body.strip()[:300] or response.reason_phrase
    try:
        data = json.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and error.get("message"):
            message = str(error["message"])
        elif isinstance(error, str):
            message = error
        elif isinstance(data, dict) and data.get("detail"):
            message = str(data["detail"])
    except ValueError:
        pass
    raise ProviderHTTPError(response.status_code, message, provider)


@contextmanager
def reachable(provider: str, url: str) -> Iterator[None]:
    """Turn httpx's transport errors into one line naming the provider and the URL.

    "ConnectError: All connection attempts failed" does not say which server is down.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderUnreachableError(f"{provider}: {url} did not answer in time ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        detail = str(exc) or type(exc).__name__
        raise ProviderUnreachableError(f"{provider}: connection to {url} failed ({detail})") from exc
