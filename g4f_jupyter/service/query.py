"""Query-string switches and numbers as typed values, parsed the same way by every route.

Whole query strings with several fields are checked by a schema (:func:`.validation.validate_query`).
"""

from __future__ import annotations

from ..errors import BadRequestError

__all__ = ["MAX_QUERY_INT", "bool_or_text", "parse_bool", "parse_int"]

MAX_QUERY_INT = 2**31 - 1
"""The largest counter or offset a query string may give (SQLite and slicing both take it)."""

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


def parse_int(value: str | None, default: int, name: str, minimum: int = 0, maximum: int = MAX_QUERY_INT) -> int:
    """An integer query argument from ``minimum`` to ``maximum``; junk or a huge number is a 400, not a 500."""
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer") from None
    if number < minimum:
        raise BadRequestError(f"{name} must be at least {minimum}")
    if number > maximum:
        raise BadRequestError(f"{name} must be at most {maximum}")
    return number


def bool_or_text(value: str | None) -> bool | str:
    """For switches that may also carry a value (``web_search``, ``filter_markdown``, ``random``):
    a boolean literal as a bool, absent/empty as ``False``, anything else as the text."""
    text = (value or "").strip()
    if not text:
        return False
    flag = _literal(text)
    return text if flag is None else flag
