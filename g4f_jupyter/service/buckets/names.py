"""What a file name means to a bucket: its kind (media, document, unsupported) and its safe form."""

from __future__ import annotations

import re
import unicodedata

from ...store.paths import safe_name
from ..media import MEDIA_EXTENSIONS, extension

__all__ = [
    "AUDIO_EXTENSIONS",
    "DOCUMENT_EXTENSIONS",
    "PLAIN_EXTENSIONS",
    "STREAMED_EXTENSIONS",
    "ZIP_CONTAINERS",
    "classify",
    "clean_filename",
    "extension",
]

AUDIO_EXTENSIONS = frozenset({"wav", "mp3", "flac", "opus", "ogg", "m4a"})
PLAIN_EXTENSIONS = frozenset(
    {"txt", "xml", "json", "js", "har", "sh", "py", "php", "css", "yaml", "sql", "log", "csv", "twig", "md", "arc"}
)
DOCUMENT_EXTENSIONS = frozenset({"pdf", "docx", "odt", "epub", "xlsx", "html", "htm", "zip"}) | PLAIN_EXTENSIONS
# Formats read front to back (no seeking): an archive member of these is never inflated whole.
STREAMED_EXTENSIONS = PLAIN_EXTENSIONS | {"html", "htm"}
# Formats that are zip files inside: each is checked by the archive guard before its parser opens it.
ZIP_CONTAINERS = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})


def classify(name: str) -> str | None:
    """``"media"``, ``"document"`` or ``None`` (unsupported) for a file name."""
    ext = extension(name)
    if ext in MEDIA_EXTENSIONS:
        return "media"
    if name.lower() == "package-lock.json":
        return None
    return "document" if ext in DOCUMENT_EXTENSIONS else None


def clean_filename(name: str) -> str:
    """A client's file name made into one safe path component (else :class:`BadRequestError`).

    Browsers send names with spaces and accents, so names are folded rather than refused:
    only the last path component is kept, accents are dropped, other characters become
    ``_``. The result is still checked by :func:`safe_name`.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._+-]+", "_", base).strip("._+-")
    base = re.sub(r"\.{2,}", ".", base)
    if len(base) > 128:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 127 - len(ext)] + dot + ext) if dot and len(ext) < 16 else base[:128]
    return safe_name(base, "file name")
