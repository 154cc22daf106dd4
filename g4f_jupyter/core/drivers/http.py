"""Outgoing HTTP for the drivers: one pooled session per provider per event loop, and its errors.

Relaying a stream is the job the server exists for, so its HTTP client is chosen by cost:
aiohttp's C parser hands over everything a read brought in one piece, where a pure-Python
HTTP/1.1 stack walks every chunk of the answer through a dozen layers (measured on a
50-chunk stream: 0.5 ms of CPU instead of 2.4 ms). A session is built once per provider per
event loop and keeps its connections alive: the server's loop, the kernel's background
loop and the kernel's own loop each have their own, because a session must never be used
from a loop other than the one it was made on.

Every request honours the environment, read at call time: HTTP_PROXY, HTTPS_PROXY and
NO_PROXY (either case); CA files from REQUESTS_CA_BUNDLE (users of requests-based tools
already set it) or SSL_CERT_FILE/SSL_CERT_DIR.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import ssl
import threading
import urllib.parse
import urllib.request
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any

import aiohttp
import certifi
import orjson
import yarl

from ...errors import ProviderHTTPError, ProviderUnreachableError

__all__ = ["close_clients", "pooled_client", "raise_for_status", "reachable", "request", "timeout"]

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary()
)
_pools_lock = threading.Lock()


def timeout(seconds: float, connect: float = 10.0) -> aiohttp.ClientTimeout:
    """At most ``connect`` seconds to connect and ``seconds`` of silence between reads (no cap on a whole stream)."""
    return aiohttp.ClientTimeout(total=None, connect=connect, sock_read=seconds)


_ENVIRONMENT = (
    "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY",
)
_Environment = tuple[str | None, ...]
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def _environment() -> _Environment:
    """The variables that steer outgoing requests, read now (a few µs; what they imply is cached)."""
    return tuple(os.environ.get(name) for name in _ENVIRONMENT)


@functools.lru_cache(maxsize=8)
def _ssl_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """One verifying TLS context per CA setting, shared by every session (building one costs ~20 ms)."""
    return ssl.create_default_context(cafile=cafile or (None if capath else certifi.where()), capath=capath)


@functools.lru_cache(maxsize=256)
def _proxy(url: str, environment: _Environment) -> str | None:
    """The proxy for ``url`` under ``environment`` (lower-case names win, as in urllib), or ``None``.

    Cached: asking the environment afresh for every request (as aiohttp's ``trust_env`` does,
    with a ``.netrc`` lookup) costs ~250 µs.
    """
    http_lower, http_upper, https_lower, https_upper, no_lower, no_upper = environment[3:]
    proxies = {"http": http_lower or http_upper, "https": https_lower or https_upper, "no": no_lower or no_upper}
    parts = urllib.parse.urlsplit(url)
    proxy = proxies.get(parts.scheme)
    # urllib's own NO_PROXY rules (untyped in typeshed), given these values instead of os.environ
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not proxy or bypass(parts.hostname or "", {k: v for k, v in proxies.items() if v}):
        return None
    return proxy


def _new_session() -> aiohttp.ClientSession:
    # No cap on connections: a burst of streams must not queue for a pool slot. No cookie jar: one
    # session serves every user and key of a provider, so a cookie one answer sets must not go out with the next.
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=30.0)
    # Request bodies are written by orjson (a tenth of the standard library's time for a long chat).
    jar = aiohttp.DummyCookieJar()
    return aiohttp.ClientSession(
        connector=connector, timeout=timeout(60.0), cookie_jar=jar, json_serialize_bytes=orjson.dumps
    )  # proxies: see _proxy


def pooled_client(owner: str) -> aiohttp.ClientSession:
    """The running loop's session for ``owner`` (a provider name), made on first use and reused.

    Per-request settings (headers, timeout, TLS context) go on each request, so one session
    serves every key and endpoint of the provider. Never close it: :func:`close_clients` does.
    """
    loop = asyncio.get_running_loop()
    with _pools_lock:
        sessions = _pools.get(loop)
        if sessions is None:
            sessions = _pools[loop] = {}
        session = sessions.get(owner)
        if session is None or session.closed:
            session = sessions[owner] = _new_session()
    return session


@asynccontextmanager
async def request(owner: str, method: str, url: str, **kwargs: Any) -> AsyncIterator[aiohttp.ClientResponse]:
    """One request on ``owner``'s pooled session, with the environment's proxy and TLS context.

    Transport errors become one line naming the provider and the URL (:func:`reachable`).
    """
    environment = _environment()
    proxy = _proxy(url, environment)
    context = _ssl_context(environment[0] or environment[1], environment[2])
    with reachable(owner, url):
        session = pooled_client(owner)
        async with session.request(method, _as_sent(url), proxy=proxy, ssl=context, **kwargs) as response:
            yield response


@functools.lru_cache(maxsize=256)
def _as_sent(url: str) -> yarl.URL:
    """``url`` with only what may not appear in a URL escaped; ``%xx`` escapes are sent as written.

    Parsing it plainly would decode ``/a%40b/`` to ``/a@b/``, a different path to Tornado.
    """
    return yarl.URL(urllib.parse.quote(url, safe=_URL_SAFE), encoded=True)


async def close_clients() -> None:
    """Close every pooled session of the running loop (the server extension's stop hook awaits this)."""
    with _pools_lock:
        sessions = list(_pools.pop(asyncio.get_running_loop(), {}).values())
    for session in sessions:
        await session.close()


@atexit.register
def _close_at_exit() -> None:
    """At process exit, close the sessions of loops still running in other threads (the kernel's background loop).

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


async def raise_for_status(response: aiohttp.ClientResponse, provider: str) -> None:
    """:class:`ProviderHTTPError` with the server's own message for a non-2xx answer."""
    if response.status < 400:
        return
    body = (await response.read()).decode("utf-8", "replace")
    message = body.strip()[:300] or response.reason or str(response.status)
    try:
        data = orjson.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and error.get("message"):
            message = str(error["message"])
        elif isinstance(error, str):
            message = error
        elif isinstance(data, dict) and data.get("detail"):
            message = str(data["detail"])
    except ValueError:
        pass
    raise ProviderHTTPError(response.status, message, provider)


@contextmanager
def reachable(provider: str, url: str) -> Iterator[None]:
    """Turn transport errors into one line naming the provider and the URL.

    "Cannot connect to host" alone does not say which provider's server is down.
    """
    try:
        yield
    except asyncio.TimeoutError as exc:
        raise ProviderUnreachableError(f"{provider}: {url} did not answer in time ({type(exc).__name__})") from exc
    except aiohttp.ClientError as exc:
        # A refused connection's own text names aiohttp's SSL context object; the OS error says what happened.
        cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
        detail = (cause.strerror if isinstance(cause, OSError) else None) or str(cause) or type(exc).__name__
        raise ProviderUnreachableError(f"{provider}: connection to {url} failed ({detail})") from exc
