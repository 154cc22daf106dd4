"""Context items: their text (colour codes removed, outputs summarized, safe fences), the one
trimming rule, the budget each provider leaves, and their place among a request's messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from g4f_jupyter.core.runner import ChatRequest
from g4f_jupyter.errors import BadRequestError
from g4f_jupyter.service.context import (
    ContextItem,
    cell_item,
    context_budget,
    fit,
    output_item,
    piece_of,
    strip_ansi,
)
from g4f_jupyter.service.request import build_request

COLOURED = (
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m\n"
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)\n"
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n"
    "\x1b[0;32m----> 1\x1b[0m \x1b[38;5;28mprint\x1b[39m(\x1b[38;5;241m1\x1b[39m)\n"
    "\x1b]8;;file:///tmp/x.py\x1b\\x.py\x1b]8;;\x1b\\\n"
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"
)


def item(**fields: Any) -> ContextItem:
    return ContextItem.model_validate(fields)


def test_outputs_lose_their_colour_codes_and_keep_their_text() -> None:
    assert strip_ansi(COLOURED).endswith("x.py\nZeroDivisionError: division by zero")
    assert "\x1b" not in strip_ansi(COLOURED)
    text = piece_of(item(**output_item(COLOURED, "In [3]"))).message
    assert text.startswith("Output of In [3] (terminal colour codes removed):\n\n```text\n")
    assert "\x1b" not in text and "----> 1 print(1)" in text
    # nbformat outputs: the traceback of an error output, streams, results
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": ["loading\n", "done\n"]},
        {"output_type": "error", "ename": "KeyError", "evalue": "'x'", "traceback": [COLOURED]},
    ]
    sent = piece_of(item(kind="output", outputs=outputs)).message
    assert "loading\ndone\n" in sent and "ZeroDivisionError: division by zero" in sent and "\x1b" not in sent


def test_code_is_fenced_so_that_nothing_inside_closes_the_fence() -> None:
    source = 'text = """\n```python\nx = 1\n```\n"""'
    message = piece_of(item(**cell_item(source, "In [4]"))).message
    assert message == f"Notebook cell In [4]:\n\n````python\n{source}\n````"
    assert piece_of(item(kind="file", label="src/app.ts", text="let a = 1")).message.startswith(
        "File src/app.ts:\n\n```typescript\nlet a = 1"
    )
    variable = piece_of(item(kind="variable", label="df", text="`df`: pandas.DataFrame")).message
    assert variable == "Kernel variable df (a summary, not the data):\n\n`df`: pandas.DataFrame"


def test_a_notebook_is_summarized_cell_by_cell() -> None:
    cells = [
        {"cell_type": "markdown", "source": ["# Sales\n", "by month"]},
        {"cell_type": "code", "execution_count": 1, "source": "import pandas as pd", "outputs": []},
        {"cell_type": "code", "execution_count": None, "source": "", "outputs": []},  # empty: left out
        {"cell_type": "code", "execution_count": 2, "source": "df.plot()", "outputs": [
            {"output_type": "display_data", "data": {"image/png": "iVBOR" * 1000}},
            {"output_type": "stream", "name": "stdout", "text": "y" * 5_000},
            {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["long\nframes"]},
        ]},
    ]
    piece = piece_of(item(kind="notebook", label="sales.ipynb", cells=cells))
    assert piece.header == "The whole notebook sales.ipynb (4 cells, outputs summarized):"
    assert len(piece.parts) == 3
    assert piece.parts[0].render() == "Markdown cell:\n# Sales\nby month"
    assert piece.parts[1].render() == "In [1]:\n```python\nimport pandas as pd\n```"
    plot = piece.parts[2].render()
    assert plot.startswith("In [2]:\n```python\ndf.plot()\n```\nOutput:\n[image/png]\n" + "y" * 200)
    assert "iVBOR" not in plot and "frames" not in plot and len(plot) < 700
    assert plot.endswith("y…\nValueError: bad")  # the long stream cut, the error as its one line


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"kind": "cell"}, "give exactly one of text, cells or outputs"),
        ({"kind": "cell", "text": "x", "cells": []}, "give exactly one of text, cells or outputs"),
        ({"kind": "cell", "cells": []}, "cells go with kind selection or notebook"),
        ({"kind": "notebook", "outputs": []}, "outputs go with kind output"),
        ({"kind": "image", "text": "x"}, "kind: Input should be 'cell', 'selection'"),
        ({"kind": "cell", "text": "x", "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_items_are_400s_naming_the_item(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(BadRequestError) as info:
        build_request({"messages": [{"role": "user", "content": "q"}], "context": [fields]})
    assert str(info.value).startswith("context[0]") and problem in str(info.value)


def notebook(cells: int, size: int = 200) -> ContextItem:
    return item(kind="notebook", label="nb", cells=[
        {"cell_type": "code", "execution_count": i, "source": f"step_{i} = {'x' * size!r}", "outputs": []}
        for i in range(1, cells + 1)
    ])


def test_the_most_relevant_pieces_are_kept_whole_and_the_rest_cut_or_left_out() -> None:
    cell = piece_of(item(**cell_item("print(1/0)", "In [9]")))
    error = piece_of(item(**output_item("Traceback …\nZeroDivisionError: division by zero", "In [9]")))
    old_var = piece_of(item(kind="variable", label="old", text="o" * 400))
    new_var = piece_of(item(kind="variable", label="new", text="n" * 400))
    book = piece_of(notebook(200))
    pieces = [book, old_var, cell, new_var, error]
    budget = cell.tokens + error.tokens + new_var.tokens + 20  # not enough for the older variable
    fitted = fit(pieces, budget)
    assert [p.label for p in fitted.pieces] == ["In [9]", "new", "In [9]"]  # in the order given
    assert fitted.tokens <= budget
    assert fitted.notes == [
        f"variable old: left out ({old_var.tokens:,} tokens, 20 left)",
        f"notebook nb: left out ({book.tokens:,} tokens, 20 left)",
    ]
    # more room: the notebook is cut to its newest cells, the rest kept whole
    budget = sum(p.tokens for p in (cell, error, old_var, new_var)) + 1_000
    fitted = fit(pieces, budget)
    cut = fitted.pieces[0]
    assert fitted.tokens <= budget and [p.label for p in fitted.pieces] == ["nb", "old", "In [9]", "new", "In [9]"]
    assert cut.header.startswith("The whole notebook nb (200 cells, outputs summarized) [cut to fit: the last ")
    assert cut.header.endswith(" of 200 cells]:")
    assert cut.parts[-1].title == "In [200]:" and cut.parts[0].title != "In [1]:"
    assert fitted.notes == [f"notebook nb: cut to {cut.tokens:,} of {book.tokens:,} tokens"]


def test_a_cut_output_keeps_its_end_and_a_cut_file_its_beginning() -> None:
    trace = "Traceback (most recent call last):\n" + "  frame\n" * 2_000 + "IndexError: list index out of range"
    output = fit([piece_of(item(**output_item(trace, "In [2]")))], 200).pieces[0]
    assert output.tokens <= 200 and output.parts[0].text.startswith("…")
    assert output.message.endswith("IndexError: list index out of range\n```")
    assert output.header.endswith("characters, the end]:")
    source = "first_line = 1\n" + "x = 2\n" * 2_000
    file = fit([piece_of(item(kind="file", label="big.py", text=source))], 200).pieces[0]
    assert file.tokens <= 200 and file.message.startswith("File big.py [cut to fit: ")
    assert "```python\nfirst_line = 1\n" in file.message and file.parts[0].text.endswith("…")
    # one cell bigger than the budget: the last cell's beginning is kept
    huge = fit([piece_of(notebook(3, size=5_000))], 300).pieces[0]
    assert huge.tokens <= 300 and len(huge.parts) == 1 and huge.parts[0].title == "In [3]:"
    assert huge.header.endswith("of the last of 3 cells, the beginning]:")
    # too little room to be worth cutting
    assert fit([piece_of(notebook(3, size=5_000))], 20).pieces == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["cell", "output", "selection", "variable", "file", "notebook"]),
                  st.integers(0, 3_000), st.integers(1, 6)),
        max_size=8,
    ),
    st.integers(0, 3_000),
)
def test_what_is_kept_always_fits_and_keeps_its_order(specs: list[tuple[str, int, int]], budget: int) -> None:
    items = []
    for n, (kind, size, cells) in enumerate(specs):
        if kind in ("selection", "notebook"):
            items.append(item(kind=kind, label=str(n), cells=[
                {"cell_type": "code", "source": "y" * (size // cells), "outputs": []} for _ in range(cells)
            ]))
        else:
            items.append(item(kind=kind, label=str(n), text="z" * size))
    pieces = [piece_of(i) for i in items]
    fitted = fit(pieces, budget)
    assert fitted.tokens <= budget
    labels = [p.label for p in fitted.pieces]
    assert labels == sorted(labels, key=int)
    for kept in fitted.pieces:
        assert kept in pieces or "[cut to fit: " in kept.header  # whole, or cut and saying so
    left_out = {p.label for p in pieces} - set(labels)
    assert len(fitted.notes) == len(left_out) + sum(p not in pieces for p in fitted.pieces)


def request_for(provider: str, max_tokens: int | None = None, text: str = "q") -> ChatRequest:
    options = {"max_tokens": max_tokens} if max_tokens else {}
    return ChatRequest(messages=[{"role": "user", "content": text}], provider=provider, options=options)


def test_the_budget_follows_the_providers_window(user_providers_dir: Path) -> None:
    (user_providers_dir / "Small.toml").write_text(
        'name = "Small"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\nmodels = ["s", "shared"]\n'
        "context_tokens = 2000\n"
    )
    (user_providers_dir / "Unknown.toml").write_text(
        'name = "Unknown"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\nmodels = ["u", "shared"]\n'
    )
    (user_providers_dir / "Local.toml").write_text(
        'name = "Local"\ndriver = "local"\nmodels = ["SmolLM2-135M-Instruct"]\ndefault = true\n'
        "[settings]\nn_ctx = 4096\nmax_tokens = 256\n"
    )
    # 75 % of (window - answer room), less what the messages use (1 token for "q")
    assert context_budget(request_for("Local")) == int(0.75 * (4096 - 256)) - 1
    assert context_budget(request_for("Small")) == int(0.75 * (2000 - 1000)) - 1  # room: at most half the window
    assert context_budget(request_for("Small", max_tokens=200)) == int(0.75 * 1800) - 1
    assert context_budget(request_for("Unknown")) == int(0.75 * (8192 - 1024)) - 1
    assert context_budget(request_for("Small", text="w" * 4_000)) == 0
    # with fallback, the smaller window counts
    both = ChatRequest(messages=[{"role": "user", "content": "q"}], model="shared")
    assert context_budget(both) == context_budget(request_for("Small"))


def test_context_messages_go_before_the_question_which_stays_as_typed() -> None:
    body = {
        "provider": "Local",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "earlier"}, {"role": "assistant", "content": "answer"},
            {"role": "user", "content": "  Why does {this} fail?\n"},
        ],
        "context": [cell_item("1/0", "In [1]"), output_item("ZeroDivisionError", "In [1]")],
    }
    request = build_request(body)
    assert [m["content"][:16] for m in request.messages] == [
        "Be brief.", "earlier", "answer", "Notebook cell In", "Output of In [1]", "  Why does {this",
    ]
    assert request.messages[-1]["content"] == "  Why does {this} fail?\n"
    assert "context" not in request.options  # not forwarded to the provider
    assert build_request({**body, "context": []}).messages == body["messages"]
