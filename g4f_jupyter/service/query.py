"""Request values as typed values (query strings, JSON bodies), parsed the same way by every route."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequestError

__all__ = ["parse_bool", "parse_int", "bool_or_text", "json_object"]

_FALSE = {"false", "0", "no", "off"}
_TRUE = {"true", "1", "yes", "on"}


def _literal(text: str) -> bool | None:
    """A boolean literal as a bool, anything else as ``None``."""
    lowered = text.lower()
    return False if lowered in _FALSE else True if lowered in _TRUE else None


def parse_bool(value: str | None, default: bool = False) -> bool:
    """``false``/``0``/``no``/``off`` are false, ``true``/``1``/``yes``/``on`` true; absent → ``default``.

    Upstream treated any non-empty string as true (so ``?delete_files=false`` deleted);
    an empty value keeps the default, anything else unrecognised is a 400.
    """
    if value is None or not value.strip():
        return default
    flag = _literal(value.strip())
    if flag is None:
        raise BadRequestError(f"not a boolean: {value[:40]!r} (use true/false)")
    return flag


def parse_int(value: str | None, default: int, name: str, minimum: int = 0) -> int:
    """An integer query argument at least ``minimum``; junk is a 400, not a 500."""
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer") from None
    if number < minimum:
        raise BadRequestError(f"{name} must be at least {minimum}")
    return number


def bool_or_text(value: str | None) -> bool | str:
    """For switches that may also carry a value (``web_search``, ``filter_markdown``, ``random``):
    a boolean literal as a bool, absent/empty as ``False``, anything else as the text."""
    text = (value or "").strip()
    if not text:
        return False
    flag = _literal(text)
    return text if flag is None else flag


def json_object(body: Any) -> dict[str, Any]:
    """``body`` if it is a JSON object (a dict), else a 400 saying so."""
    if not isinstance(body, dict):
        raise BadRequestError("the request body must be a JSON object")
    return body
