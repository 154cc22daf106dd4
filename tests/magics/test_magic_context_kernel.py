"""In a real ipykernel, answered by a loopback OpenAI-compatible peer: ``%g4f fix`` puts the
peer's code into one cell below, ``explain`` inserts nothing, neither sends history; ``-c``
sends a million-row DataFrame as its summary; the frontend's ``user_expressions`` snippets
answer JSON (variable names for ``@`` completion, summaries) within the time cap."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from magics.fixing_peer import FIX_ANSWER, FIXED_CODE, FixingOpenAI, add_fixer, fresh_peer, message_text
from magics.kernel_rig import execute

from g4f_jupyter.magics.render import CODE_MIME
from g4f_jupyter.service.variables import names_expression, summaries_expression

pytestmark = pytest.mark.timeout(180)

LAB = {"g4f_jupyter": {"places_code_cells": True}}  # what our Lab extension adds to its execute requests


@pytest.fixture(scope="module")
def peer() -> Iterator[tuple[type[FixingOpenAI], str]]:
    handler = fresh_peer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def kernel(
    peer: tuple[type[FixingOpenAI], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A python3 kernel of this venv with the extension loaded and the peer in its catalog as ``Fixer``."""
    providers = tmp_path_factory.mktemp("kernel-providers")
    add_fixer(Path(providers), peer[1])
    env = {**os.environ, "G4F_JUPYTER_DATA_DIR": str(tmp_path_factory.mktemp("kernel-data"))}
    env["G4F_JUPYTER_PROVIDERS_DIR"] = str(providers)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        assert execute(kc, "%load_ext g4f_jupyter")[0]["content"]["status"] == "ok"
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def fixer(peer: tuple[type[FixingOpenAI], str]) -> type[FixingOpenAI]:
    peer[0].bodies.clear()
    return peer[0]


def inserted(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in reply["content"]["payload"] if p.get("source") == "set_next_input"]


def bundles(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    data = [m["content"]["data"] for m in messages if m["msg_type"] == "display_data"]
    return [d for d in data if CODE_MIME in d]


def test_fix_after_a_failing_cell_puts_the_peers_code_in_one_cell_below_and_sends_no_history(
    kernel: Any, fixer: type[FixingOpenAI]
) -> None:
    assert execute(kernel, "%g4f -p Fixer Remember the word PAPAYA.", cell_id="ask")[0]["content"]["status"] == "ok"
    failed, _ = execute(kernel, "print(1/0)", cell_id="fails")
    assert failed["content"]["status"] == "error"
    reply, messages = execute(kernel, "%g4f -p Fixer fix", cell_id="fix")
    assert reply["content"]["status"] == "ok"
    [cell] = inserted(reply)
    assert cell["text"] == FIXED_CODE and cell["replace"] is False  # one new cell below, the asking cell stays
    shown = [m["content"]["data"]["text/markdown"] for m in messages if m["msg_type"] in ("display_data",
             "update_display_data") and "text/markdown" in m["content"]["data"]]
    assert shown[-1] == FIX_ANSWER  # the whole answer is shown above the new cell
    source, error, question = (message_text(m) for m in fixer.bodies[-1]["messages"])
    assert f"In [{failed['content']['execution_count']}]" in source and "print(1/0)" in source
    assert "ZeroDivisionError: division by zero" in error and "\x1b" not in error
    assert question.startswith("Fix the notebook cell above")
    assert "PAPAYA" not in json.dumps(fixer.bodies[-1])

    again, messages = execute(kernel, "%g4f -p Fixer fix", cell_id="fix")  # the same rule as -f code
    assert inserted(again) == [] and any(
        "already inserted a code cell" in m["content"]["data"]["text/plain"]
        for m in messages if m["msg_type"] == "display_data"
    )
    # from a notebook with our Lab extension: a bundle the extension turns into (or writes over) the cell
    lab, messages = execute(kernel, "%g4f -p Fixer fix", cell_id="fix-lab", metadata=LAB)
    assert inserted(lab) == []
    [bundle] = bundles(messages)
    assert bundle[CODE_MIME] == {"code": FIXED_CODE, "source_cell": "fix-lab"}


def test_explain_shows_the_answer_and_inserts_nothing(kernel: Any, fixer: type[FixingOpenAI]) -> None:
    failed, _ = execute(kernel, "[1, 2][7]", cell_id="index")
    reply, messages = execute(kernel, f"%g4f -p Fixer explain {failed['content']['execution_count']}", cell_id="ex")
    assert reply["content"]["status"] == "ok" and inserted(reply) == [] and bundles(messages) == []
    assert "IndexError: list index out of range" in json.dumps(fixer.bodies[-1]["messages"])
    assert len(fixer.bodies[-1]["messages"]) == 3


def test_context_sends_a_million_row_dataframe_as_its_summary(kernel: Any, fixer: type[FixingOpenAI]) -> None:
    setup = (
        "import numpy as np, pandas as pd, time\n"
        "df = pd.DataFrame({'id': np.arange(1_000_000), 'price': np.linspace(0, 1, 1_000_000)})\n"
        "class Stuck:\n    def __repr__(self):\n        time.sleep(60)\n        return 'never'\n"
        "stuck = Stuck()\n"
    )
    assert execute(kernel, setup)[0]["content"]["status"] == "ok"
    started = time.monotonic()
    reply, _ = execute(kernel, "%g4f -p Fixer --no-history -c df,stuck Which columns?")
    assert reply["content"]["status"] == "ok" and time.monotonic() - started < 10  # the 60 s repr was cut off
    frame, stuck, question = (message_text(m) for m in fixer.bodies[-1]["messages"])
    assert frame.splitlines()[2:4] == [
        "`df`: pandas.DataFrame, 1,000,000 rows, 2 columns", "dtypes: id int64, price float64",
    ]
    assert "| 0 | 0 | 0.0 |" in frame and "| 4 | 4 |" in frame
    assert "`stuck`: __main__.Stuck (not summarized: it took longer than " in stuck
    assert question == "Which columns?"
    assert len(json.dumps(fixer.bodies[-1])) < 3_000  # not the data


def test_the_frontends_snippets_answer_json_within_the_time_cap(kernel: Any) -> None:
    setup = (
        "import numpy as np, pandas as pd\nframe = pd.DataFrame({'a': np.arange(1_000_000)})\n_private = 1\n"
        "class Thing:\n    pass\nthing = Thing()\n"
    )
    assert execute(kernel, setup)[0]["content"]["status"] == "ok"
    counted = execute(kernel, "1")[0]["content"]["execution_count"]
    expressions = {"names": names_expression(), "summaries": summaries_expression(["frame", "missing"])}
    reply, messages = execute(kernel, "", silent=True, user_expressions=expressions)
    assert [m["msg_type"] for m in messages] == ["status", "status"]  # nothing shown, nothing run
    results = reply["content"]["user_expressions"]
    assert results["names"]["status"] == "ok" and results["summaries"]["status"] == "ok"
    names = results["names"]["data"]["application/json"]
    assert json.loads(results["names"]["data"]["text/plain"]) == names
    listed = {entry["name"]: entry["type"] for entry in names["names"]}
    assert listed["frame"] == "pandas.DataFrame" and listed["thing"] == "__main__.Thing"
    assert not {"In", "Out", "Err", "np", "pd", "_private", "get_ipython", "exit"} & set(listed)
    summaries = results["summaries"]["data"]["application/json"]
    frame, missing = summaries["variables"]
    assert frame["shape"] == [1_000_000, 1] and frame["text"].startswith("`frame`: pandas.DataFrame, 1,000,000 rows")
    assert missing["error"] == "not defined"
    assert summaries["elapsed_ms"] < 1_000  # computed in the kernel within the cap
    # a silent request leaves the user's history and counter alone
    assert execute(kernel, "1")[0]["content"]["execution_count"] == counted + 1
