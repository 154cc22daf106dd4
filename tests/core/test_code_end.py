"""Where a code suggestion ends, and what of it may be shown while it streams."""

from __future__ import annotations

import pytest

from g4f_jupyter.core.code_context import CodeContext, dropped, from_line_start
from g4f_jupyter.core.code_end import Cursor, Suggestion, suggestion_end


def ends(head: str, text: str, tail: str = "", language: str = "python") -> str | None:
    end = suggestion_end(Cursor(head, tail, language), text)
    return None if end is None else text[:end]


@pytest.mark.parametrize(
    ("head", "text", "expected"),
    [
        ("x = foo(", "1, 2)\ny = 3\n", "1, 2)"),  # the statement ends with its line
        ("x = foo(", "1,\n    2)\ny = 3\n", "1,\n    2)"),  # brackets carry it over lines
        ("s = '''abc", "\ndef\n'''\nq = 1\n", "\ndef\n'''"),  # so does a triple-quoted string
        ("d = {", "'a': 1,  # a ':' in a comment\n 'b': 2}\nq", "'a': 1,  # a ':' in a comment\n 'b': 2}"),
        ("total = a + \\", "\n    b\nc = 1\n", "\n    b"),  # a backslash continues the line
        ("  for i in ran", "ge(3):\n    f(i)\n    j = i\n  return j\n", "ge(3):\n    f(i)\n    j = i"),
        ("    for i in ran", "ge(3):\n        print(i)\n\n        j = i\n", "ge(3):\n        print(i)"),  # a blank line
        ("  if x", ":\n    a = 1\n  else:\n    a = 2\n  return a\n", ":\n    a = 1\n  else:\n    a = 2"),
        ("def f():", "\n    return 1\n\ndef g", "\n    return 1"),  # the cursor's line opened the block
        ("x = 1", "\ny = 2\nz", "\ny = 2"),  # the cursor's line was complete: the next statement
        ("@dec", "orator\ndef f():\n    pass\n\n", "orator\ndef f():\n    pass"),  # a decorator goes with its def
    ],
)
def test_python_statements_and_blocks(head: str, text: str, expected: str) -> None:
    assert ends(head, text) == expected


def test_still_going_while_incomplete() -> None:
    assert ends("x = foo(", "1,\n    2") is None
    assert ends("    if x", ":\n        a = 1\n    el") is None  # may become else:
    assert ends("    if x", ":\n        a = 1\n    eq = 2\n") == ":\n        a = 1"


def test_braces_close_a_block_in_other_languages() -> None:
    assert ends("function f() {", "\n  return 1;\n}\nf()", language="javascript") == "\n  return 1;\n}"
    assert ends("x <- c(1,", " 2)\ny", language="r") == " 2)"


def test_text_after_the_cursor_limits_it_to_the_line() -> None:
    assert ends("print(", "x)\nmore = 1\n", tail=")") == "x)"
    suggestion = Suggestion(Cursor("print(", ")"))
    assert suggestion.add("x") == "x"
    assert suggestion.add(")") == ""  # may be the ")" already there: held back
    assert suggestion.add("\nmore") == ""
    assert suggestion.complete and suggestion.shown == 1  # the final "x)" minus the tail is "x"


def test_nothing_shown_is_taken_back() -> None:
    suggestion = Suggestion(Cursor("    retur", ""), stop=("##",))
    pieces = [suggestion.add(p) for p in ("n", " x ", " ", "+ 1", "#", " y")]
    assert pieces[:2] == ["n", " x"]  # trailing blanks wait: they may end the suggestion
    assert "".join(pieces) + suggestion.finish() == "n x  + 1# y"
    stopped = Suggestion(Cursor("a = ", ""), stop=("##",))
    assert stopped.add("b #") == "b"  # "#" may begin the stop string
    assert stopped.add("# c") == "" and stopped.complete and stopped.finish() == ""
    assert stopped.text == "b "


def test_code_before_the_cursor_keeps_its_start_while_typing() -> None:
    assert dropped(90, 100) == 0 and dropped(101, 100) == 25 and dropped(125, 100) == 25 and dropped(126, 100) == 50
    lines = "".join(f"line {i}\n" for i in range(40))
    assert from_line_start(lines, 10).startswith("line 2\n")
    assert from_line_start(lines, 7) == lines[7:]  # already at a line start
    code = CodeContext("x = 1\ny", cell_context="import os\n")
    assert code.code_before() == "import os\n\nx = 1\ny" and code.cursor.head == "y"
