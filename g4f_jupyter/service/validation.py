"""Typed validation of what clients send: JSON bodies, query strings, Python keyword arguments.

Every door validates through here, so a bad value gets the same 400 from HTTP, the
magics, the widgets and ``ask()``, naming the field (``messages[0].content``,
``max_tokens``). pydantic checks types and ranges and says *where* a value is wrong; its
JSON parser refuses lone surrogates and nesting past a fixed depth, where the standard
library would hand back an unwritable string or raise ``RecursionError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import pydantic_core
from pydantic import AfterValidator, BaseModel, JsonValue, ValidationError

from ..errors import BadRequestError

__all__ = [
    "JSON_DEPTH_LIMIT", "HttpBase", "SafeJson", "Text", "check_http_base", "json_object", "parse_json", "query_values",
    "validate", "validate_query",
]

Model = TypeVar("Model", bound=BaseModel)

JSON_DEPTH_LIMIT = 200
"""Nesting depth the JSON parser accepts (fixed in pydantic-core); deeper is a 400."""

# The names pydantic puts into an error's location for the member of a union it tried.
_UNION_TAG = re.compile(
    r"^(str|int|float|bool|bytes|none|list|dict|tuple|set|literal|nullable|json-or-python|tagged-union"
    r"|function-(after|before|wrap|plain)|constrained-\w+)(\[.*\])?$",
    re.DOTALL,
)
_PREFIX = "Input should be "


def _no_surrogates(value: str) -> str:
    """Refuse lone surrogates (only a Python caller can send them): they fail later, when written."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text holds a lone surrogate (not valid Unicode)") from None
    return value


def _json_safe(value: JsonValue) -> JsonValue:
    """A value that serialises to JSON, strings included (``JsonValue`` alone lets lone surrogates by)."""
    try:
        pydantic_core.to_json(value)
    except pydantic_core.PydanticSerializationError:
        raise ValueError("text holds a lone surrogate (not valid Unicode)") from None
    return value


def check_http_base(value: str) -> str:
    """``value`` if it is an absolute ``http(s)://host…`` URL that parses (port included), else ``ValueError``.

    A provider's base URL comes from the client: a malformed one is the client's mistake (a 400
    naming the field), not a provider failure found while connecting.
    """
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 — parsing the port is what refuses "http://h:x"
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


Text = Annotated[str, AfterValidator(_no_surrogates)]
"""A string that can be written anywhere (valid Unicode)."""

HttpBase = Annotated[Text, AfterValidator(check_http_base)]
"""A provider base URL sent by a client (``api_base``, ``base_url``)."""

SafeJson = Annotated[JsonValue, AfterValidator(_json_safe)]
"""Any JSON value whose strings are valid Unicode: for fields forwarded untouched."""


def parse_json(data: bytes | str) -> Any:
    """The JSON document in ``data``, or a 400: bad syntax, lone surrogates, NaN, nesting too deep."""
    try:
        return pydantic_core.from_json(data or b"null", allow_inf_nan=False)
    except ValueError as exc:
        reason = str(exc)
        if "recursion limit" in reason:
            raise BadRequestError(f"Invalid JSON data: nested deeper than {JSON_DEPTH_LIMIT} levels") from None
        if "surrogate" in reason or "hex escape" in reason:
            raise BadRequestError(f"Invalid JSON data: a \\u escape that is not Unicode text ({reason})") from None
        raise BadRequestError("Invalid JSON data") from None


def json_object(body: Any) -> dict[str, Any]:
    """``body`` if it is a JSON object (a dict), else a 400 saying so."""
    if not isinstance(body, dict):
        raise BadRequestError("the request body must be a JSON object")
    return body


def _path(loc: tuple[int | str, ...]) -> str:
    """``("messages", 0, "content", "str")`` → ``messages[0].content`` (union member tags dropped)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _UNION_TAG.match(part):
            path += f".{part}" if path else part
    return path or "body"


def describe(error: ValidationError) -> str:
    """One line naming the first wrong field and what it should be (a union's options joined)."""
    errors = error.errors(include_url=False, include_input=False)
    where = _path(errors[0]["loc"])
    reasons: list[str] = []
    for item in errors:
        if _path(item["loc"]) == where and item["msg"] not in reasons:
            reasons.append(item["msg"])
    text = reasons[0]
    for other in reasons[1:]:
        text += " or " + (other[len(_PREFIX):] if other.startswith(_PREFIX) and text.startswith(_PREFIX) else other)
    if errors[0]["type"] == "missing":
        return f"{where} is required"
    return f"{where}: {text.removeprefix('Value error, ')}"


def validate(model: type[Model], data: Any) -> Model:
    """``data`` checked against ``model``; the first wrong field becomes a 400 that names it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequestError(describe(exc)) from None


def query_values(arguments: Mapping[str, list[bytes]]) -> dict[str, str]:
    """Tornado's parsed arguments (a query string or a form body) as text: the last value of each name.

    Values are decoded strictly: bytes that are not UTF-8 are a 400, not a replacement character.
    """
    values: dict[str, str] = {}
    for name, raw in arguments.items():
        try:
            values[name] = raw[-1].decode("utf-8") if raw else ""
        except UnicodeDecodeError:
            raise BadRequestError(f"{name}: not valid UTF-8") from None
    return values


def validate_query(model: type[Model], arguments: Mapping[str, list[bytes]]) -> Model:
    """A query string (Tornado's ``query_arguments``) checked against ``model``."""
    return validate(model, query_values(arguments))
