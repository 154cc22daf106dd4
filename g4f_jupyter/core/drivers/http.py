"""One way to make outgoing HTTP clients, so every driver honours the same environment.

``trust_env`` gives HTTP(S)_PROXY, NO_PROXY and SSL_CERT_FILE; REQUESTS_CA_BUNDLE is read
too because users of requests-based tools already set it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from ...errors import ProviderHTTPError, ProviderUnreachableError

__all__ = ["async_client", "raise_for_status", "reachable"]


def async_client(timeout: float = 60.0, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    verify: str | bool = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=10.0),
        headers=headers,
        trust_env=True,
        verify=verify,
        follow_redirects=True,
    )


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
