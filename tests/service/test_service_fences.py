"""The one Markdown code-fence parser: what /create's filter_markdown and %%g4f -f code agree on."""

from __future__ import annotations

from g4f_jupyter.service.create import filter_markdown
from g4f_jupyter.service.fences import CodeBlock, code_blocks, code_of

ANSWER = """Here you go:

```Python title="demo"
print(1)
```

  ~~~~json
{"a": 1}
  ~~~~

Inline ```not a fence``` stays text.
"""


def test_blocks_with_backticks_tildes_indent_and_info_strings() -> None:
    assert code_blocks(ANSWER) == [CodeBlock("python", "print(1)"), CodeBlock("json", '{"a": 1}')]


def test_an_answer_cut_short_inside_a_block() -> None:
    cut = "Sure.\n```py\nx = 1\ny ="
    assert code_blocks(cut) == [CodeBlock("py", "x = 1\ny =", closed=False)]
    assert code_of(cut) == "x = 1\ny ="


def test_code_of_prefers_closed_blocks_and_falls_back_to_the_text() -> None:
    assert code_of(ANSWER) == 'print(1)\n\n{"a": 1}'
    assert code_of(ANSWER + "```py\nunfinished") == 'print(1)\n\n{"a": 1}'
    assert code_of("\nno fence here\n") == "no fence here"


def test_filter_markdown_uses_the_same_blocks() -> None:
    assert filter_markdown(ANSWER, True) == "print(1)"
    assert filter_markdown(ANSWER, "JSON") == '{"a": 1}'
    assert filter_markdown(ANSWER, "rust") == ""
    assert filter_markdown("```py\nunclosed", "py") == ""  # only a finished block is an answer to filter
