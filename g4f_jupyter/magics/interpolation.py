"""Fill ``{name}``, ``{In[3]}``, ``{Out[3]}``, ``{Err[3]}`` in a prompt, and nothing else.

``str.format`` would choke on the braces of code, dicts and JSON (``{}``, ``{"a": 1}``,
f-strings). Here only a brace pair around a bare identifier (optionally indexed by an
integer) that names something in the user namespace is replaced; every other brace, a
doubled ``{{x}}``, and unknown names stay exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["interpolate"]

_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?\d+)\])?\}(?!\})")


def _lookup(namespace: Mapping[str, Any], name: str, index: str | None) -> Any:
    """The value for a placeholder, or ``KeyError`` to leave it as typed."""
    if name.startswith("__"):
        raise KeyError(name)
    value = namespace[name]
    if index is None:
        return value
    try:
        return value[int(index)]
    except (IndexError, TypeError) as exc:
        raise KeyError(name) from exc


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """``text`` with known ``{name}`` / ``{Name[n]}`` placeholders replaced by ``str(value)``."""

    def replace(match: re.Match[str]) -> str:
        try:
            return str(_lookup(namespace, match.group(1), match.group(2)))
        except KeyError:
            return match.group(0)

    return _PLACEHOLDER.sub(replace, text)
