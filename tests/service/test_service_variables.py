"""Kernel variable summaries: what each kind of value says, and the caps on time and size that
hold whatever a value's ``__repr__``/``__len__``/``__str__`` does."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import polars as pl
import pytest

from g4f_jupyter.service.variables import (
    names_expression,
    names_reply,
    summaries_expression,
    summaries_reply,
    summarize,
    variable_names,
)


def one(value: Any, **kwargs: Any) -> Any:
    return summarize({"x": value}, ["x"], **kwargs)[0]


def test_a_million_row_dataframe_gives_shape_dtypes_and_first_rows_not_the_data() -> None:
    rows = 1_000_000
    df = pd.DataFrame({"id": np.arange(rows), "score": np.arange(rows) / 4, "tag": ["a|b", "c"] * (rows // 2)})
    summary = one(df)
    assert (summary.type, summary.shape, summary.length, summary.error) == ("pandas.DataFrame", (rows, 3), rows, None)
    lines = summary.text.splitlines()
    assert lines[0] == "`x`: pandas.DataFrame, 1,000,000 rows, 3 columns"
    assert lines[1].startswith("dtypes: id int64, score float64, tag ")
    assert lines[2:6] == ["first 5 rows:", "", "|  | id | score | tag |", "|---|---|---|---|"]
    assert lines[6:] == [
        "| 0 | 0 | 0.0 | a\\|b |", "| 1 | 1 | 0.25 | c |", "| 2 | 2 | 0.5 | a\\|b |", "| 3 | 3 | 0.75 | c |",
        "| 4 | 4 | 1.0 | a\\|b |",
    ]


def test_wide_frames_list_some_dtypes_and_columns_and_the_text_stays_under_its_cap() -> None:
    wide = pd.DataFrame(np.zeros((3, 200)), columns=[f"column_with_a_long_name_{i}" for i in range(200)])
    summary = one(wide)
    assert "column_with_a_long_name_49 float64, … (150 more)" in summary.text  # 50 dtypes listed
    assert summary.text.splitlines()[-1].count("|") == 22  # the table: the index and 20 columns
    assert len(summary.text) <= 3_000 and not summary.truncated
    cut = one(wide, max_chars=1_000)
    assert len(cut.text) == 1_000 and cut.truncated and cut.text.endswith("\n… [cut at 1,000 characters]")


def test_polars_frames_and_series_of_both_libraries() -> None:
    frame = one(pl.DataFrame({"n": [1, 2, 3], "s": ["x", "y", "z"]}))
    assert frame.text.splitlines()[:2] == ["`x`: polars.DataFrame, 3 rows, 2 columns", "dtypes: n Int64, s String"]
    assert frame.text.splitlines()[-3:] == ["| 1 | x |", "| 2 | y |", "| 3 | z |"]
    series = one(pd.Series(range(100), name="ages"))
    assert series.text == "`x`: pandas.Series, 100 values, dtype int64, name ages\nfirst 10 values: " + repr(
        list(range(10))
    )
    assert one(pl.Series("p", [1.5, 2.5])).text.startswith("`x`: polars.Series, 2 values, dtype Float64, name p")


def test_numpy_arrays_give_shape_dtype_size_and_a_sample() -> None:
    big = one(np.arange(10_000_000, dtype=np.float64))
    assert big.text.splitlines() == [
        "`x`: numpy.ndarray, shape (10000000,), dtype float64, 76.3 MiB",
        "first 10 values (flattened): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]",
    ]
    strided = one(np.arange(12).reshape(3, 4)[:, ::2])  # not contiguous: only the sample is copied
    assert strided.shape == (3, 2) and strided.text.endswith("[0, 2, 4, 6, 8, 10]")
    assert one(np.float64(2.5)).text.startswith("`x`: numpy.float64")
    assert one(np.array(7)).shape == ()


def test_mappings_give_their_size_and_first_keys() -> None:
    keys = one({f"key{i}": i for i in range(100_000)})
    assert keys.length == 100_000
    assert keys.text.splitlines()[1] == "first 20 keys: " + ", ".join(repr(f"key{i}") for i in range(20)) + ", …"
    assert one(OrderedDict(b=1, a=2)).text.endswith("first 2 keys: 'b', 'a'")


def test_anything_else_is_a_short_repr_even_when_the_value_is_huge() -> None:
    numbers = one(list(range(1_000_000)))
    assert numbers.text == "`x`: list, len 1,000,000\nrepr:\n```text\n[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...]\n```"

    class Verbose:
        def __repr__(self) -> str:
            return "v" * 5_000_000

    verbose = one(Verbose())
    assert len(verbose.text) < 1_700 and verbose.error is None  # reprlib keeps 1,500 characters of it


class Sleeps:
    def __repr__(self) -> str:
        time.sleep(30)
        return "late"


class Swallows:
    """Catches what it can and goes on sleeping."""

    def __repr__(self) -> str:
        while True:
            with contextlib.suppress(Exception):
                time.sleep(5)


class SlowText:
    def __str__(self) -> str:
        time.sleep(30)
        return "late"


def test_hostile_values_cost_only_their_share_of_the_second() -> None:
    namespace = {
        "sleeps": Sleeps(), "swallows": Swallows(), "frame": pd.DataFrame({"o": [SlowText()]}), "fine": {"k": 1},
    }
    started = time.monotonic()
    summaries = summarize(namespace, ["sleeps", "swallows", "frame", "fine", "missing"], seconds=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, elapsed  # 30 s sleeps were interrupted, not waited for
    assert [s.error for s in summaries] == ["timed out", "timed out", "timed out", None, "not defined"]
    assert summaries[0].text == "`sleeps`: test_service_variables.Sleeps (not summarized: it took longer than 0.20 s)"
    assert summaries[3].text.endswith("first 1 keys: 'k'")
    assert summaries[4].text == "`missing`: not defined"


def test_values_that_raise_are_reported_not_raised() -> None:
    class NoLength:
        def __len__(self) -> int:
            raise RuntimeError("no")

    class BadRepr:
        def __repr__(self) -> str:
            raise ValueError("no")

    assert one(NoLength()).error == "RuntimeError"
    assert one(NoLength()).text.endswith("(not summarized: it raised RuntimeError)")
    bad = one(BadRepr())
    assert bad.error is None and "<BadRepr instance at 0x" in bad.text  # reprlib's stand-in


def test_a_timer_and_alarm_handler_set_before_are_put_back() -> None:
    rang: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: rang.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        summarize({"sleeps": Sleeps()}, ["sleeps"], seconds=0.2)
        assert signal.getsignal(signal.SIGALRM) is not None and rang == []
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left < 0.45  # the user's timer is still running, with what it had left
        time.sleep(left + 0.1)
        assert rang == [signal.SIGALRM]  # and it rang its own handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_values_are_still_summarized() -> None:
    found: list[Any] = []
    worker = threading.Thread(target=lambda: found.extend(summarize({"d": {"a": 1}}, ["d"])))
    worker.start()
    worker.join(10)
    assert found[0].text == "`d`: dict, 1 keys\nfirst 1 keys: 'a'"


def test_summaries_never_import_a_data_library() -> None:
    script = (
        "import sys\n"
        "from g4f_jupyter.service.variables import summarize\n"
        "before = {'pandas', 'polars', 'numpy'} & set(sys.modules)\n"
        "summarize({'x': [1, 2], 'y': {'a': 1}, 'z': object()}, ['x', 'y', 'z'])\n"
        "print(sorted(({'pandas', 'polars', 'numpy'} & set(sys.modules)) - before))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip() == "[]"


def test_variable_names_leave_out_the_shells_own_names_modules_and_private_names() -> None:
    shell_input: list[str] = []
    namespace = {
        "In": shell_input, "exit": "shell's", "_": 1, "_i3": "x", "__builtins__": {}, "np": np,
        "df": pd.DataFrame(), "beta": 2, "Alpha": "a", "quit": "rebound by the user",
    }
    hidden = {"In": shell_input, "exit": "shell's", "quit": "IPython's"}
    assert variable_names(namespace, hidden) == [
        ("Alpha", "str"), ("beta", "int"), ("df", "pandas.DataFrame"), ("quit", "str"),
    ]


def test_kernel_replies_are_json_for_user_expressions() -> None:
    namespace: dict[str, Any] = {"df": pd.DataFrame({"a": [1]}), "n": 3}
    reply = summaries_reply(namespace, ["df", "nope"])
    payload = reply._repr_json_()
    assert json.loads(repr(reply)) == payload  # text/plain carries the same JSON
    assert set(payload) == {"variables", "elapsed_ms"} and payload["elapsed_ms"] >= 0
    assert payload["variables"][0] == {
        "name": "df", "type": "pandas.DataFrame", "shape": [1, 1], "length": 1, "truncated": False, "error": None,
        "text": "`df`: pandas.DataFrame, 1 rows, 1 columns\ndtypes: a int64\nfirst 1 rows:\n\n"
        "|  | a |\n|---|---|\n| 0 | 1 |",
    }
    assert payload["variables"][1]["error"] == "not defined"
    assert names_reply(namespace)._repr_json_() == {
        "names": [{"name": "df", "type": "pandas.DataFrame"}, {"name": "n", "type": "int"}], "truncated": False,
    }

    class Shell:
        user_ns = namespace
        user_ns_hidden: ClassVar[dict[str, Any]] = {}

    scope = {"get_ipython": lambda: Shell()}
    assert eval(names_expression(), scope)._repr_json_()["names"][1]["name"] == "n"
    summaries = eval(summaries_expression(["n"]), scope)._repr_json_()
    assert summaries["variables"][0]["text"] == "`n`: int\nrepr:\n```text\n3\n```"


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_no_time_left_summarizes_nothing(seconds: float) -> None:
    assert one({"a": 1}, seconds=seconds).error == "timed out"
