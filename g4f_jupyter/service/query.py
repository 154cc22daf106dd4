"""Query-string values as typed values, parsed the same way by every route."""

from __future__ import annotations

from ..errors import BadRequestError

__all__ = ["parse_bool", "parse_int", "bool_or_text"]

_FALSE = {"false", "0", "no", "off"}
_TRUE = {"true", "1", "yes", "on"}


def parse_bool(value: str | None, default: bool = False) -> bool:
    """``false``/``0``/``no``/``off`` are false, ``true``/``1``/``yes``/``on`` true; absent → ``default``.

    Upstream treated any non-empty string as true (so ``?delete_files=false`` deleted);
    an empty value keeps the default, anything else unrecognised is a 400.
    """
    if value is None or value.strip() == "":
        return default
    text = value.strip().lower()
    if text in _FALSE:
        return False
    if text in _TRUE:
        return True
    raise BadRequestError(f"not a boolean: {value[:40]!r} (use true/false)")


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
    """For switches that may also carry a value (``web_search``, ``filter_markdown``):
    a boolean literal as a bool, absent/empty as ``False``, anything else as the text."""
    if value is None or value.strip() == "":
        return False
    text = value.strip().lower()
    if text in _FALSE:
        return False
    if text in _TRUE:
        return True
    return value.strip()
