"""Download jobs (``downloads.json``): fetch URLs into a bucket, refusing private addresses.

The guard resolves every host (and every redirect hop) and refuses loopback, private,
link-local and other non-public addresses unless the operator allows them, so a chat
user cannot make the server fetch from its own network. One failed URL is reported and
the others continue.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import mimetypes
import re
import socket
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ...errors import G4FError
from ...store.atomic import atomic_write_bytes
from .jobs import take_jobs
from .layout import Bucket
from .locks import index_lock
from .names import classify, clean_filename, extension
from .pending import add_pending
from .progress import Downloaded, Progress, ReadFailed

__all__ = ["DownloadLimits", "DownloadRefused", "check_url", "run_jobs"]


@dataclass(frozen=True)
class DownloadLimits:
    max_bytes: int = 20 * 1024 * 1024
    timeout: float = 30.0  # seconds for one URL, redirects included
    max_redirects: int = 5


class DownloadRefused(ValueError):
    """The URL may not or cannot be fetched; the message says why."""


async def check_url(url: str, allow_private: bool = False) -> None:
    """Refuse non-http(s) URLs, and hosts resolving to non-public addresses unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadRefused("only http(s) URLs can be downloaded")
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DownloadRefused(f"cannot resolve {parts.hostname}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise DownloadRefused(f"{parts.hostname} resolves to a non-public address ({address}); refused")


def download_name(url: str, content_type: str = "", disposition: str = "") -> str:
    """``<host>+<path>+<hash><ext>`` (protocol §4.4), or the server's Content-Disposition name."""
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition or "", re.I)
    if match:
        return clean_filename(match.group(1))
    parts = urlsplit(url)
    digest = base64.b32encode(hashlib.sha256(url.encode()).digest()).decode().lower()[:24]
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    path_ext = extension(parts.path)
    typed_ext = mimetypes.guess_extension(mime) if mime and mime != "application/octet-stream" else None
    ext = typed_ext or (f".{path_ext}" if path_ext else "")
    stem = f"{parts.netloc}+{parts.path.strip('/').replace('/', '_')}+"[:90]
    return clean_filename(f"{stem}{digest}{ext}")


async def fetch(url: str, allow_private: bool = False, limits: DownloadLimits | None = None) -> tuple[str, bytes]:
    """``(file name, body)`` of ``url``, following redirects with the guard on every hop.

    The whole download (every hop, every block) shares one deadline.
    """
    limits = limits or DownloadLimits()
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=limits.timeout) as client:
        return await asyncio.wait_for(_follow(client, url, allow_private, limits), limits.timeout)


async def _follow(
    client: httpx.AsyncClient, url: str, allow_private: bool, limits: DownloadLimits
) -> tuple[str, bytes]:
    for _ in range(limits.max_redirects + 1):
        await check_url(url, allow_private)
        async with client.stream("GET", url) as response:
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code >= 400:
                raise DownloadRefused(f"HTTP {response.status_code}")
            body = bytearray()
            async for block in response.aiter_bytes():
                body += block
                if len(body) > limits.max_bytes:
                    raise DownloadRefused(f"larger than {limits.max_bytes} bytes")
            headers = response.headers
            name = download_name(url, headers.get("content-type", ""), headers.get("content-disposition", ""))
            return name, bytes(body)
    raise DownloadRefused(f"more than {limits.max_redirects} redirects")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)):
        return "timed out"
    if isinstance(exc, (httpx.ConnectError, OSError)):
        return f"cannot connect (offline or refused): {exc}"
    return str(exc) or type(exc).__name__


def _store(bucket: Bucket, name: str, body: bytes) -> None:
    """Save a download; a document is listed for reading, a media file is just kept (like an upload)."""
    with index_lock(bucket):
        atomic_write_bytes(bucket.source(name), body)
        if classify(name) == "document":
            add_pending(bucket, [name])


async def run_jobs(
    bucket: Bucket, allow_private: bool = False, limits: DownloadLimits | None = None
) -> AsyncGenerator[Progress, None]:
    """Consume ``downloads.json``: a ``download`` event per file, or one error per failed URL."""
    count = 0
    for url in await asyncio.to_thread(take_jobs, bucket):
        try:
            name, body = await fetch(url, allow_private, limits)
            if classify(name) is None:
                raise DownloadRefused(f"unsupported content type (saved as {name!r})")
        except (ValueError, G4FError, httpx.HTTPError, httpx.InvalidURL, asyncio.TimeoutError, OSError) as exc:
            yield ReadFailed(f"download {url}: {_reason(exc)}")  # one URL fails, not the read
            continue
        await asyncio.to_thread(_store, bucket, name, body)  # up to max_bytes, fsynced: off the event loop
        count += 1
        yield Downloaded(count)
