"""What a notebook's frontend asks the kernel: variable names for ``@`` completion, and summaries.

Each is one Python expression the frontend sends as a ``user_expressions`` entry of a silent
``execute_request`` (empty code, nothing stored in the history). The value comes back as
``application/json`` (IPython's JSON formatter) and, the same JSON, as ``text/plain``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from .describe import type_name
from .summary import MAX_CHARS, SECONDS, summarize

__all__ = [
    "KernelReply", "names_expression", "names_reply", "summaries_expression", "summaries_reply", "variable_names",
]

MAX_NAMES = 1_000
_MODULE = "g4f_jupyter.service.variables"


class KernelReply:
    """A JSON-able payload that IPython formats as ``application/json`` and as its JSON text."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def _repr_json_(self) -> dict[str, Any]:
        return self.payload

    def __repr__(self) -> str:
        return json.dumps(self.payload)


def variable_names(namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """The user's own variables as ``(name, type)``, sorted: no ``_``-names, no modules, and none of the
    shell's own (``hidden``: IPython's ``user_ns_hidden``, unless the user has rebound the name)."""
    hidden = hidden or {}
    missing = object()
    names = [
        (name, type_name(value))
        for name, value in list(namespace.items())
        if isinstance(name, str) and not name.startswith("_") and not isinstance(value, ModuleType)
        and value is not hidden.get(name, missing)
    ]
    return sorted(names, key=lambda item: (item[0].casefold(), item[0]))


def names_reply(namespace: Mapping[str, Any], hidden: Mapping[str, Any] | None = None) -> KernelReply:
    """``{"names": [{"name", "type"}], "truncated": bool}`` (at most :data:`MAX_NAMES`)."""
    names = variable_names(namespace, hidden)
    listed = [{"name": name, "type": kind} for name, kind in names[:MAX_NAMES]]
    return KernelReply({"names": listed, "truncated": len(names) > MAX_NAMES})


def summaries_reply(
    namespace: Mapping[str, Any], names: Sequence[str], seconds: float = SECONDS, max_chars: int = MAX_CHARS
) -> KernelReply:
    """``{"variables": [summary JSON], "elapsed_ms": float}`` (see :meth:`VariableSummary.to_json`)."""
    started = time.perf_counter()
    summaries = summarize(namespace, [str(name) for name in names], seconds=seconds, max_chars=max_chars)
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    return KernelReply({"variables": [s.to_json() for s in summaries], "elapsed_ms": elapsed})


def names_expression() -> str:
    """The ``user_expressions`` entry that lists the variable names."""
    return f"__import__({_MODULE!r}, fromlist=['_']).names_reply(get_ipython().user_ns, get_ipython().user_ns_hidden)"


def summaries_expression(names: Sequence[str]) -> str:
    """The ``user_expressions`` entry that summarizes ``names`` (a JSON list of strings is the same literal)."""
    return f"__import__({_MODULE!r}, fromlist=['_']).summaries_reply(get_ipython().user_ns, {json.dumps(list(names))})"
