"""Kernel variables as a model should see them: a summary per variable, bounded in time and size.

Framework-free (no IPython needed to call it): the magics call :func:`summarize` on the
shell's namespace; a notebook frontend evaluates :func:`summaries_expression` /
:func:`names_expression` in the kernel as ``user_expressions`` and reads the JSON back.
"""

from __future__ import annotations

from .describe import Limits
from .kernel import (
    KernelReply,
    names_expression,
    names_reply,
    summaries_expression,
    summaries_reply,
    variable_names,
)
from .summary import VariableSummary, summarize

__all__ = [
    "KernelReply",
    "Limits",
    "VariableSummary",
    "names_expression",
    "names_reply",
    "summaries_expression",
    "summaries_reply",
    "summarize",
    "variable_names",
]
