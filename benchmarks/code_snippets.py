"""Code completion snippets cut from the Python standard library's own source, on every machine, no download.

A snippet is a file cut inside a statement's first line, at a random column: the prefix is
the ~``context`` characters before the cursor (from a line start) and the suffix the lines
after that line, so a suggestion should write the rest of the line, as someone typing it
would. Files alternate between two halves: ``part=0`` (development: choosing the prompt
format) and ``part=1`` (held out: the reported figures). Tests, generated codec tables and
docstrings are left out; lines with comments too (their rest is prose).
"""

from __future__ import annotations

import ast
import random
import sysconfig
import textwrap
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Snippet", "cut_snippets", "line_matches", "parses"]

_SKIPPED = ("site-packages/", "test/", "tests/", "idle_test/", "encodings/", "__phello__")


@dataclass(frozen=True)
class Snippet:
    path: str  # relative to the standard library
    prefix: str
    suffix: str
    rest: str  # the rest of the cut line: what an exact suggestion writes first

    @property
    def head(self) -> str:
        return self.prefix.rpartition("\n")[2]


def _files(part: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    kept = [p for p in sorted(root.rglob("*.py")) if not any(s in p.relative_to(root).as_posix() for s in _SKIPPED)]
    return [p for index, p in enumerate(kept) if index % 2 == part]


def cut_snippets(count: int, part: int, seed: int, context: int = 1200) -> list[Snippet]:
    """``count`` snippets from the files of ``part`` (0 or 1), reproducibly for ``seed``."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = _files(part)
    rng = random.Random(seed)
    snippets: list[Snippet] = []
    while len(snippets) < count:
        path = rng.choice(files)
        try:
            source = path.read_text("utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = source.split("\n")
        statements = [
            node for node in ast.walk(tree)
            if isinstance(node, ast.stmt) and node.lineno > 15
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        if not statements:
            continue
        node = rng.choice(statements)
        line = lines[node.lineno - 1].rstrip()
        indent = len(line) - len(line.lstrip())
        if len(line) - indent < 8 or len(line) > 100 or "#" in line:
            continue
        column = rng.randint(indent + 1, len(line) - 1)
        before = "\n".join(lines[: node.lineno - 1])
        start = before.find("\n", len(before) - context) + 1 if len(before) > context else 0
        suffix = "\n" + "\n".join(lines[node.lineno : node.lineno + 20])
        relative = path.relative_to(root).as_posix()
        snippets.append(Snippet(relative, before[start:] + "\n" + line[:column], suffix, line[column:]))
    return snippets


def parses(snippet: Snippet, suggestion: str) -> bool:
    """Does the cursor's line with the suggestion make Python that ``ast`` parses (a statement, or a block)?"""
    try:
        ast.parse(textwrap.dedent(snippet.head + suggestion))
    except SyntaxError:
        return False
    return True


def line_matches(snippet: Snippet, suggestion: str) -> bool:
    """Is the suggestion's first line exactly the rest of the cut line?"""
    return suggestion.split("\n")[0].rstrip() == snippet.rest.rstrip()
