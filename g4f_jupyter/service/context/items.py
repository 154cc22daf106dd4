"""Context items: what a client attaches to a question, as it travels in a ``/conversation`` body.

``"context": [{"kind", "label", "text" | "cells" | "outputs", "language"}]`` beside ``messages``.
The panel builds these from the notebook; the magics build the same ones here
(:func:`cell_item`, :func:`output_item`, :func:`variable_item`) and hand them to ``stream()``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..validation import SafeJson, Text
from ..variables import VariableSummary

__all__ = ["KINDS", "ContextItem", "cell_item", "output_item", "variable_item"]

KINDS = ("cell", "selection", "output", "notebook", "file", "variable")
Kind = Literal["cell", "selection", "output", "notebook", "file", "variable"]
NbJson = dict[Text, SafeJson]


class ContextItem(BaseModel):
    """One piece of context. ``text`` for any kind; or nbformat ``cells`` (``selection``, ``notebook``)
    or nbformat ``outputs`` (``output``), which the server turns into text itself."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    label: Text = Field("", max_length=500)
    text: Text | None = None
    cells: list[NbJson] | None = Field(None, max_length=10_000)
    outputs: list[NbJson] | None = Field(None, max_length=1_000)
    language: Text | None = Field(None, max_length=50)

    @model_validator(mode="after")
    def _one_body(self) -> ContextItem:
        given = [name for name in ("text", "cells", "outputs") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, cells or outputs")
        if self.cells is not None and self.kind not in ("selection", "notebook"):
            raise ValueError("cells go with kind selection or notebook")
        if self.outputs is not None and self.kind != "output":
            raise ValueError("outputs go with kind output")
        return self


def cell_item(source: str, label: str = "") -> dict[str, Any]:
    """A code cell's source (``label`` such as ``In [3]``)."""
    return {"kind": "cell", "label": label, "text": source}


def output_item(text: str, label: str = "") -> dict[str, Any]:
    """A cell's output or traceback as text (colour codes are removed on the way)."""
    return {"kind": "output", "label": label, "text": text}


def variable_item(summary: VariableSummary) -> dict[str, Any]:
    """A kernel variable's summary (see :mod:`g4f_jupyter.service.variables`)."""
    return {"kind": "variable", "label": summary.name, "text": summary.text}
