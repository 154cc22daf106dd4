"""Context for questions: variable summaries in a real kernel, and context assembly of a long notebook.

1. Variable summaries of a 1e6-row DataFrame, a 1e7-element array and a 1e5-key dict, each
   asked of a real kernel the way the JupyterLab panel asks (a silent ``execute_request`` whose
   ``user_expressions`` entry is ``summaries_expression([name])``, through jupyter_client), and
   computed in this process on the same values in the same run. Printed: the time the kernel
   reports for the summary itself, the whole round trip, and the in-process time. Goal: ≤ 200 ms.
2. Context assembly of a 200-cell notebook (code, Markdown, outputs with pictures and errors)
   plus the active cell and its traceback, through the service function (checking the items,
   their text, the trimming rule), with room for everything and with the embedded model's budget.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_context.py [--runs 20]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from jupyter_client.manager import KernelManager

from g4f_jupyter.core.runner import ChatRequest
from g4f_jupyter.service.context import ContextItem, cell_item, context_budget, context_messages, output_item
from g4f_jupyter.service.variables import summaries_expression, summarize

GOAL_MS = 200.0
VALUES = """
import numpy as np, pandas as pd
rows = 1_000_000
df = pd.DataFrame({"id": np.arange(rows), "price": np.linspace(0, 100, rows), "city": ["Oslo", "Lima"] * (rows // 2)})
arr = np.random.default_rng(0).random(10_000_000)
d = {f"key{i}": i for i in range(100_000)}
"""
NAMES = {"df": "DataFrame, 1e6 rows x 3", "arr": "ndarray, 1e7 float64", "d": "dict, 1e5 keys"}


def ms(seconds: float) -> float:
    return seconds * 1000


def describe(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.2f} ms  p95 {p95:7.2f} ms  max {ordered[-1]:7.2f} ms"


def ask_kernel(kc: Any, expression: str) -> tuple[float, dict[str, Any]]:
    """One silent execute with a user expression; (round trip in s, the JSON it returned)."""
    started = time.perf_counter()
    msg_id = kc.execute("", silent=True, store_history=False, user_expressions={"s": expression})
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - started
    result = reply["content"]["user_expressions"]["s"]
    if result["status"] != "ok":
        raise RuntimeError(result)
    return elapsed, result["data"]["application/json"]


def bench_summaries(runs: int) -> None:
    print(f"1. variable summaries (goal <= {GOAL_MS:.0f} ms each), {runs} runs after one cold call")
    namespace: dict[str, Any] = {}
    exec(VALUES, namespace)
    km = KernelManager(kernel_name="python3")
    with tempfile.TemporaryDirectory() as data:
        km.start_kernel(env={**os.environ, "G4F_JUPYTER_DATA_DIR": data})
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            msg_id = kc.execute(VALUES)
            while kc.get_shell_msg(timeout=120)["parent_header"].get("msg_id") != msg_id:
                pass
            for name, label in NAMES.items():
                expression = summaries_expression([name])
                cold_trip, cold = ask_kernel(kc, expression)
                trips, in_kernel, local = [], [], []
                for _ in range(runs):
                    trip, payload = ask_kernel(kc, expression)
                    trips.append(ms(trip))
                    in_kernel.append(float(payload["elapsed_ms"]))
                    started = time.perf_counter()
                    summarize(namespace, [name])
                    local.append(ms(time.perf_counter() - started))
                verdict = "ok" if max(in_kernel) <= GOAL_MS and max(trips) <= GOAL_MS else "MISSED"
                first = " (imports g4f_jupyter in the kernel)" if name == next(iter(NAMES)) else ""
                chars = len(payload["variables"][0]["text"])
                print(f"  {name:4} ({label}): summary text {chars:,} chars  [{verdict}]; "
                      f"first call: in kernel {cold['elapsed_ms']:.1f} ms, round trip {ms(cold_trip):.1f} ms{first}")
                print(f"       in the kernel   {describe(in_kernel)}")
                print(f"       round trip      {describe(trips)}")
                print(f"       in this process {describe(local)}  "
                      f"(kernel/in-process {statistics.median(in_kernel) / statistics.median(local):.2f}x)")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def notebook(cells: int) -> list[dict[str, Any]]:
    """A realistic long notebook: code with outputs (text, a picture every tenth cell, some errors) and Markdown."""
    picture = base64.b64encode(os.urandom(30_000)).decode()
    made: list[dict[str, Any]] = []
    for i in range(1, cells + 1):
        if i % 4 == 0:
            made.append({"cell_type": "markdown", "source": [f"## Step {i}\n", "Notes about the data " * 10]})
            continue
        outputs: list[dict[str, Any]] = [{"output_type": "stream", "name": "stdout", "text": f"row {i}\n" * 30}]
        if i % 10 == 1:
            outputs.append({"output_type": "display_data", "data": {"image/png": picture, "text/plain": "<Figure>"}})
        if i % 25 == 0:
            outputs.append({"output_type": "error", "ename": "KeyError", "evalue": "'x'",
                            "traceback": ["\x1b[0;31mKeyError\x1b[0m: 'x'"] * 20})
        source = "\n".join(f"value_{i}_{j} = compute({i}, {j})  # step" for j in range(15))
        made.append({"cell_type": "code", "execution_count": i, "source": source, "outputs": outputs})
    return made


def timed(runs: int, work: Callable[[], Any]) -> list[float]:
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(ms(time.perf_counter() - started))
    return times


def bench_assembly(runs: int) -> None:
    cells = notebook(200)
    traceback_text = "Traceback (most recent call last):\n" + "  File x, line 1\n" * 20 + "KeyError: 'x'"
    raw = [
        {"kind": "notebook", "label": "analysis.ipynb", "cells": cells},
        cell_item("df.loc['x']", "In [201]"),
        output_item(traceback_text, "In [201]"),
    ]
    size = sum(len(str(c)) for c in cells)
    request = ChatRequest(messages=[{"role": "user", "content": "Why does this fail?"}], provider="Local")
    local_budget = context_budget(request)
    print(f"\n2. context assembly: 200-cell notebook ({size / 2**20:.1f} MiB of cells as sent), the active cell, "
          f"its traceback; {runs} runs")

    def assemble(budget: int) -> Callable[[], Any]:
        return lambda: context_messages([ContextItem.model_validate(item) for item in raw], budget)

    for label, budget in (("room for everything", 10**9), (f"embedded model's budget ({local_budget:,} tokens)",
                                                            local_budget)):
        messages, fitted = assemble(budget)()
        tokens = sum(p.tokens for p in fitted.pieces)
        trimmed = "; ".join(fitted.notes) or "nothing cut"
        print(f"  {label}: {len(messages)} messages, {tokens:,} tokens kept; {trimmed}")
        print(f"       {describe(timed(runs, assemble(budget)))}")
    print(f"  budget lookup (providers resolved): {describe(timed(runs, lambda: context_budget(request)))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    bench_summaries(args.runs)
    bench_assembly(args.runs)


if __name__ == "__main__":
    main()
