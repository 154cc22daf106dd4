"""Generated media: served at ``/media/<name>`` and found by tag at ``/search/<tags>``.

Search is recomputed on every request (upstream cached results forever, so new files
stayed invisible until a restart).
"""

from __future__ import annotations

import mimetypes
import random
from pathlib import Path

from ..errors import BadRequestError, NotFoundError
from ..store.layout import media_dir
from ..store.paths import safe_name, safe_path

__all__ = ["MEDIA_EXTENSIONS", "content_type", "extension", "is_media_name", "media_file", "search_media"]

MEDIA_EXTENSIONS = frozenset(
    {
        "jpeg", "jpg", "png", "gif", "webp",
        "wav", "mp3", "flac", "opus", "ogg", "m4a",
        "mkv", "webm", "mp4", "mov", "avi", "ogv", "mpg", "mpeg",
    }
)
"""Extensions treated as media (protocol §4.2): kept from chat uploads, stored under ``media/``."""


def extension(name: str) -> str:
    """The lower-case extension without its dot (``""`` for none): how every upload is classified."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def is_media_name(filename: str) -> bool:
    return extension(filename) in MEDIA_EXTENSIONS


def content_type(name: str) -> str:
    """The MIME type a file is served (or inlined) with; unknown kinds as plain bytes."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def media_file(name: str) -> Path:
    """The media file called ``name`` (a validated plain name), or 404."""
    path = safe_path(media_dir(), name, what="media name")
    if not path.is_file():
        raise NotFoundError(f"no media {name!r}")
    return path


def _mime_tag(name: str) -> str:
    """``image/png`` → ``image_png``: the string terms are matched against."""
    return content_type(name).replace("/", "_").lower()


def _candidates() -> list[str]:
    names = []
    for path in sorted(media_dir().iterdir()):
        try:
            name = safe_name(path.name)
        except BadRequestError:
            continue  # temp files and other names we would never serve
        if path.is_file():
            names.append(name)
    return names


def search_media(tags: str, skip: int = 0, seed: bool | str = False, minimum: int | None = None) -> str:
    """The name of a media file matching ``tags`` (terms joined by ``+``), or 404.

    A file scores one per term found in its MIME tag and one per term found in its name,
    and matches with a score of at least ``minimum`` (default: the number of terms, so
    ``min=1`` finds files with any of the words). ``skip`` picks the n-th match; ``seed``
    picks one at random (``True`` unseeded, a string as the seed).
    """
    terms = [t for t in tags.lower().split("+") if t]
    if not terms:
        raise BadRequestError("no search terms")
    matches = []
    for name in _candidates():
        mime, lowered = _mime_tag(name), name.lower()
        score = sum(term in mime for term in terms) + sum(term in lowered for term in terms)
        if score >= (len(terms) if minimum is None else minimum):
            matches.append(name)
    if not matches:
        raise NotFoundError(f"no media matches {tags!r}")
    if seed:
        chooser = random.Random() if seed is True else random.Random(seed)
        return chooser.choice(matches)
    if skip >= len(matches):
        raise NotFoundError(f"only {len(matches)} media match {tags!r}")
    return matches[skip]
