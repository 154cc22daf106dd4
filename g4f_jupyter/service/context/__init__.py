"""Context for a question: cells, outputs, the notebook, files and kernel variables, fitted to the model.

All of it lives here once. A client sends context items beside its messages (``context`` in
a ``/conversation`` body, or ``stream(prompt, context=[...])`` from Python, as the magics do);
:func:`with_context` turns them into messages of their own, trimmed by the one rule of
:mod:`.trim` to what the answering providers' context windows leave room for
(:mod:`.budget`), and puts them just before the question. The question itself stays as typed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ...core.runner import ChatRequest
from .budget import context_budget, context_window
from .items import KINDS, ContextItem, cell_item, output_item, variable_item
from .pieces import Piece, piece_of, strip_ansi
from .trim import Fitted, fit

__all__ = [
    "KINDS", "ContextItem", "Fitted", "Piece", "cell_item", "context_budget", "context_messages", "context_window",
    "fit", "output_item", "piece_of", "strip_ansi", "variable_item", "with_context",
]


def context_messages(items: Sequence[ContextItem], budget: int) -> tuple[list[dict[str, Any]], Fitted]:
    """The context as chat messages (one per kept item) within ``budget`` tokens, and what was trimmed."""
    fitted = fit([piece_of(item) for item in items], budget)
    return [{"role": "user", "content": piece.message} for piece in fitted.pieces], fitted


def with_context(request: ChatRequest, items: Sequence[ContextItem]) -> ChatRequest:
    """``request`` with its context messages put just before its last user message."""
    if not items:
        return request
    messages, _ = context_messages(items, context_budget(request))
    ask = next((i for i in range(len(request.messages) - 1, -1, -1) if request.messages[i].get("role") == "user"), None)
    at = len(request.messages) if ask is None else ask
    return dataclasses.replace(request, messages=[*request.messages[:at], *messages, *request.messages[at:]])
