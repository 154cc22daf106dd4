"""``%g4f explain`` / ``fix`` / ``error`` and ``-c`` in a real IPython shell, answered by a loopback
OpenAI-compatible peer: what the peer received is the assertion (the cell, its traceback, the
system prompt, variable summaries; no history, no data)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.testing import globalipapp
from IPython.utils.capture import CapturedIO, capture_output
from magics.fixing_peer import FIX_ANSWER, FIXED_CODE, FixingOpenAI, add_fixer, fresh_peer, message_text

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def peer(loopback: Callable[[type[BaseHTTPRequestHandler]], str], user_providers_dir: Path) -> type[FixingOpenAI]:
    handler = fresh_peer()
    add_fixer(user_providers_dir, f"{loopback(handler)}/v1")
    return handler


@pytest.fixture
def ip(peer: type[FixingOpenAI]) -> Iterator[Any]:
    """The test shell with the extension loaded, no history, no recorded errors, no pending cell."""
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "g4f_jupyter")
    magics = shell.magics_manager.registry["G4FMagics"]
    magics.history.clear()
    for name in ("max_history", "default_provider", "default_model", "default_format"):
        setattr(magics, name, magics.traits()[name].default())
    shell.user_ns["Err"].clear()
    shell.rl_next_input = None
    yield shell
    shell.rl_next_input = None


def run(shell: Any, cell: str) -> tuple[Any, CapturedIO]:
    with capture_output() as captured:
        result = shell.run_cell(cell, store_history=True)
    return result, captured


def last_messages(peer: type[FixingOpenAI]) -> list[dict[str, Any]]:
    return list(peer.bodies[-1]["messages"])


def test_fix_puts_the_peers_code_below_and_sends_only_the_cell_its_error_and_the_system_prompt(
    ip: Any, peer: type[FixingOpenAI]
) -> None:
    run(ip, "%g4f -p Fixer Remember the word PAPAYA for later.")
    assert len(peer.bodies) == 1  # an earlier exchange the fix must not carry
    failing, _ = run(ip, "print(1/0)")
    assert failing.error_in_exec is not None
    result, captured = run(ip, '%g4f -p Fixer -s "You are terse." fix')
    assert captured.stderr == ""
    assert result.result == FIX_ANSWER
    assert ip.rl_next_input == FIXED_CODE  # the fixed cell goes below, fences stripped
    messages = last_messages(peer)
    assert [m["role"] for m in messages] == ["system", "user", "user", "user"]
    assert messages[0]["content"] == "You are terse."
    cell, error, question = (message_text(m) for m in messages[1:])
    assert f"In [{failing.execution_count}]" in cell and "print(1/0)" in cell
    assert "Traceback (most recent call last)" in error and error.rstrip("`\n").endswith("division by zero")
    assert "\x1b" not in error and "interactiveshell" not in error
    assert question.startswith("Fix the notebook cell above")
    assert "PAPAYA" not in json.dumps(peer.bodies[-1])  # no history


def test_explain_names_a_cell_sends_no_other_cell_and_adds_no_cell(ip: Any, peer: type[FixingOpenAI]) -> None:
    defined, _ = run(ip, "numbers = [1, 2]")
    indexed, _ = run(ip, "numbers[5]")
    run(ip, "{}['later']")  # a newer failure, not the one asked about
    result, _ = run(ip, f"%g4f -p Fixer explain {indexed.execution_count}")
    assert result.result == FIX_ANSWER and ip.rl_next_input is None  # explain inserts nothing
    sent = json.dumps(last_messages(peer))
    assert "IndexError: list index out of range" in sent and "KeyError" not in sent
    assert message_text(last_messages(peer)[-1]).startswith("Explain the error of the notebook cell above")
    # a cell that did not fail: its code alone, and a question about what it does
    result, _ = run(ip, f"%g4f -p Fixer explain {defined.execution_count}")
    messages = last_messages(peer)
    assert len(messages) == 2 and "numbers = [1, 2]" in message_text(messages[0])
    assert message_text(messages[1]) == "Explain briefly what the notebook cell above does."


def test_error_explains_the_last_failed_cell_not_a_failed_magic_and_without_history(
    ip: Any, peer: type[FixingOpenAI]
) -> None:
    _, captured = run(ip, "%g4f error")
    assert captured.stderr.strip() == "no error recorded yet: Err is empty"
    run(ip, "%g4f -p Fixer Remember the word MANGO.")
    run(ip, "int('seven')")
    usage, _ = run(ip, "%g4f -f yaml hi")  # the magic's own usage error is recorded in Err too
    assert usage.execution_count in ip.user_ns["Err"]
    result, _ = run(ip, "%g4f -p Fixer error")
    sent = json.dumps(last_messages(peer))
    assert "invalid literal for int() with base 10: 'seven'" in sent and "yaml" not in sent
    assert "MANGO" not in sent and len(last_messages(peer)) == 3
    assert result.result == FIX_ANSWER and ip.rl_next_input is None


def test_bad_cell_numbers_are_usage_errors_and_an_answer_without_code_adds_no_cell(
    ip: Any, peer: type[FixingOpenAI]
) -> None:
    result, captured = run(ip, "%g4f -p Fixer fix 99999")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "there is no cell 99999" in captured.stderr and len(peer.bodies) == 0
    fine, _ = run(ip, "total = 1 + 1")
    result, captured = run(ip, f"%g4f -p Fixer fix {fine.execution_count}")  # no traceback: the peer sends prose
    assert message_text(last_messages(peer)[-1]).startswith("Find and fix the mistakes")
    assert captured.stderr.strip() == "the answer has no code block, so no cell was added"
    assert ip.rl_next_input is None
    run(ip, "%g4f -p Fixer --no-history explain why the sky is blue")  # more words: a prompt, not a subcommand
    assert last_messages(peer) == [{"role": "user", "content": "explain why the sky is blue"}]


def test_context_variables_send_summaries_not_the_data(ip: Any, peer: type[FixingOpenAI]) -> None:
    rows = 1_000_000
    ip.user_ns["df"] = pd.DataFrame(
        {"id": np.arange(rows), "price": np.linspace(0, 1, rows), "city": ["Oslo", "Lima"] * (rows // 2)}
    )
    ip.user_ns["weights"] = np.zeros((1000, 1000), dtype=np.float32)
    run(ip, "%g4f -p Fixer Remember the word KIWI.")
    result, captured = run(ip, "%g4f -p Fixer -c df,weights Which columns does df have?")
    assert captured.stderr == "" and result.result is not None
    messages = last_messages(peer)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "user", "user"]  # history stays here
    frame, array, question = (message_text(m) for m in messages[2:])
    assert question == "Which columns does df have?"  # the user's text as typed
    assert "`df`: pandas.DataFrame, 1,000,000 rows, 3 columns" in frame
    assert "dtypes: id int64, price float64, city " in frame
    assert "| 0 | 0 | 0.0 | Oslo |" in frame and "| 4 | 4 |" in frame and "| 5 |" not in frame
    assert "`weights`: numpy.ndarray, shape (1000, 1000), dtype float32, 3.8 MiB" in array
    assert len(json.dumps(peer.bodies[-1])) < 5_000  # the summary, not millions of values

    result, captured = run(ip, "%g4f -p Fixer -c nope,df hi")
    assert type(result.error_in_exec).__name__ == "UsageError" and "no variable named nope" in captured.stderr


def test_a_hostile_repr_is_capped_and_the_other_variables_still_go(ip: Any, peer: type[FixingOpenAI]) -> None:
    run(ip, "import time\nclass Stuck:\n    def __repr__(self):\n        time.sleep(60)\n        return 'never'\n")
    run(ip, "class Broken:\n    def __len__(self):\n        raise RuntimeError('no length')\n")
    run(ip, "stuck, broken, table = Stuck(), Broken(), {'a': 1, 'b': 2}")
    started = time.monotonic()
    result, captured = run(ip, "%g4f -p Fixer -c stuck,broken,table what are these?")
    assert time.monotonic() - started < 10  # the 60 s repr was cut off (the whole summary is capped at 1 s)
    assert captured.stderr == "" and result.result is not None
    stuck, broken, table = (message_text(m) for m in last_messages(peer)[:3])
    assert stuck.endswith("`stuck`: __main__.Stuck (not summarized: it took longer than 0.33 s)")
    assert broken.endswith("`broken`: __main__.Broken (not summarized: it raised RuntimeError)")
    assert "`table`: dict, 2 keys\nfirst 2 keys: 'a', 'b'" in table
