"""Validation of every name that comes from outside (bucket ids, share ids, file names)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..errors import BadRequestError

__all__ = ["safe_name", "safe_path"]

_ALLOWED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,127}$")


def safe_name(name: object, what: str = "name") -> str:
    """``name`` if it is one plain path component, else :class:`BadRequestError`.

    Rejects rather than rewrites: traversal (``..``), separators, absolute paths, NUL,
    control or non-ASCII look-alike characters, leading dots, and over-long names.
    """
    if not isinstance(name, str) or not name:
        raise BadRequestError(f"invalid {what}: empty")
    if unicodedata.normalize("NFKC", name) != name or not _ALLOWED.match(name) or ".." in name:
        raise BadRequestError(f"invalid {what}: {name[:40]!r}")
    return name


def safe_path(root: Path, *parts: str, what: str = "name") -> Path:
    """``root/parts...`` after validating each part, checked to resolve inside ``root``."""
    path = root
    for part in parts:
        path = path / safe_name(part, what)
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise BadRequestError(f"invalid {what}: outside the data directory")
    return path
