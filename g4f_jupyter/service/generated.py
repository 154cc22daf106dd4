"""Generated media saved into the data directory's ``media/`` folder, tagged with their prompt.

Pictures a provider makes (an OpenAI-compatible image model, or ``content`` events with
``urls`` relayed from another ``/backend-api/v2`` server) are copied here as they stream
and the event's URLs rewritten to ``/media/<name>`` (plus ``?url=<source>`` for a web
source, as upstream does), so they outlive the provider's links and ``/search/<tags>``
finds them by the words of their prompt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
import time
from collections.abc import AsyncGenerator, Sequence
from urllib.parse import quote, urljoin, urlsplit

from ..core.events import Event, Log, Media, ProviderInfo
from ..core.runner import Candidate
from ..store.atomic import atomic_write_bytes
from ..store.layout import media_dir
from .buckets.downloads import DownloadRefused, fetch
from .media import MEDIA_EXTENSIONS, extension
from .settings import OperatorSettings, current_settings

__all__ = ["MEDIA_URL", "media_tags", "save_generated", "save_media"]

MEDIA_URL = "/media/"
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"RIFF", "webp"))
_MAX_TAGS = 8
_DATA_URI = re.compile(r"^data:([\w.+/-]*)(;[^,]*)?,", re.I)


def media_tags(prompt: str, model: str = "") -> list[str]:
    """The words a file is found by: the model's name, then the prompt's first words."""
    words = re.findall(r"[a-z0-9]+", prompt.lower())
    model_tag = re.sub(r"[^a-z0-9.-]+", "-", model.lower()).strip(".-")
    return ([model_tag] if model_tag else []) + words[:_MAX_TAGS]


def _extension(data: bytes, source: str) -> str:
    """The kind from the bytes themselves, else the source's name; ``""`` when it is not media."""
    for magic, ext in _MAGIC:
        if data.startswith(magic) and (ext != "webp" or data[8:12] == b"WEBP"):
            return ext
    ext = extension(urlsplit(source).path) if not source.startswith("data:") else ""
    return ext if ext in MEDIA_EXTENSIONS else ""


def save_media(data: bytes, tags: Sequence[str], source: str) -> str | None:
    """Write ``data`` atomically as ``<unix time>_<tags joined by +>_<hash>.<ext>``; its name, or ``None``."""
    ext = _extension(data, source)
    if not ext:
        return None
    joined = "+".join(tags)[:80].strip("+.-") or "media"
    digest = hashlib.sha256(source.encode() if not source.startswith("data:") else data).hexdigest()[:16]
    name = f"{int(time.time())}_{joined}_{digest}.{ext}"
    atomic_write_bytes(media_dir() / name, data)
    return name


async def _load(url: str, base: str, settings: OperatorSettings) -> tuple[bytes, str]:
    """The bytes behind ``url`` and its absolute source; a provider's own server is trusted, others must be public."""
    match = _DATA_URI.match(url)
    if match:
        payload = url[match.end():]
        try:
            return base64.b64decode(payload, validate=True), url
        except (binascii.Error, ValueError):
            raise DownloadRefused("not base64 data") from None
    absolute = urljoin(f"{base}/", url) if base else url
    own = bool(base) and urlsplit(absolute)[:2] == urlsplit(base)[:2]
    _, data = await fetch(absolute, allow_private=own or settings.allow_private_downloads)
    return data, absolute


def _served(name: str, source: str) -> str:
    url = MEDIA_URL + name
    return f"{url}?url={quote(source, safe='')}" if source.startswith(("http://", "https://")) else url


async def _saved(event: Media, base: str, tags: list[str], settings: OperatorSettings) -> tuple[Media, list[str]]:
    """``event`` with every URL it could save rewritten, and a log line per file."""
    urls, lines = [], []
    for url in event.urls:
        if not base and url.startswith(MEDIA_URL):  # already in our media folder
            urls.append(url)
            continue
        try:
            data, source = await _load(url, base, settings)
            name = save_media(data, tags, source)
        except (DownloadRefused, OSError, TimeoutError) as exc:
            lines.append(f"generated media not saved ({url[:80]}): {exc}")
            urls.append(url)
            continue
        if name is None:
            lines.append(f"generated media not saved ({url[:80]}): not an image, audio or video file")
            urls.append(url)
            continue
        lines.append(f"generated media saved as {name}")
        urls.append(_served(name, source))
    return Media(urls=tuple(urls), alt=event.alt), lines


async def save_generated(
    events: AsyncGenerator[Event, None],
    prompt: str,
    candidates: list[Candidate],
    settings: OperatorSettings | None = None,
) -> AsyncGenerator[Event, None]:
    """``events`` with each media event saved and rewritten; log lines about the files come last."""
    settings = settings or current_settings()
    providers = {c.provider.name: c for c in candidates}
    base, tags, lines = "", media_tags(prompt), []
    async with contextlib.aclosing(events):
        async for event in events:
            if isinstance(event, ProviderInfo) and event.name in providers:
                answering = providers[event.name]
                base, tags = answering.provider.api_base(), media_tags(prompt, event.model)
            if isinstance(event, Media):
                event, saved = await _saved(event, base, tags, settings)
                lines.extend(saved)
            yield event
    for line in lines:
        yield Log(line)
