"""Keep a question mark at the end of a ``%g4f`` line.

IPython reads a line ending in ``?`` as a help request (``%g4f what is pi?`` would look up
``pi`` instead of asking the model). This cleanup transform turns such a line into the
explicit magic call first, so the prompt arrives with its question mark.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["install", "keep_question_marks", "uninstall"]

_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)%g4f(?P<rest>[ \t].*)$")


def keep_question_marks(lines: list[str]) -> list[str]:
    """Rewrite ``%g4f ...?`` lines as ``get_ipython().run_line_magic('g4f', '...?')``."""
    if not lines or lines[0].lstrip().startswith("%%"):
        return lines  # a cell magic gets its body verbatim anyway
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        match = _LINE_MAGIC.match(body)
        rest = match["rest"][1:] if match else ""
        if match and body.rstrip().endswith("?") and rest.strip() not in ("?", "??"):
            body = f"{match['indent']}get_ipython().run_line_magic('g4f', {rest!r})"
            line = body + line[len(line.rstrip("\r\n")) :]
        out.append(line)
    return out


def install(shell: Any) -> None:
    """Add the transform once per shell."""
    if keep_question_marks not in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.append(keep_question_marks)


def uninstall(shell: Any) -> None:
    """Remove the transform (``%unload_ext``)."""
    while keep_question_marks in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(keep_question_marks)
