"""One way to make outgoing HTTP clients, so every driver honours the same environment.

``trust_env`` gives HTTP(S)_PROXY, NO_PROXY and SSL_CERT_FILE; REQUESTS_CA_BUNDLE is read
too because users of requests-based tools already set it.
"""

from __future__ import annotations

import json
import os

import httpx

from ...errors import ProviderHTTPError

__all__ = ["async_client", "raise_for_status"]


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
