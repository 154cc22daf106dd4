"""%g4f in a real ipykernel: the answer streams as display updates and Interrupt stops it."""

from __future__ import annotations

import os
import queue
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from magics.kernel_rig import execute

from g4f_jupyter.magics.render import CODE_MIME

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KernelManager, Any]]:
    """A python3 kernel of this venv with the extension loaded."""
    env = {**os.environ, "G4F_JUPYTER_DATA_DIR": str(tmp_path_factory.mktemp("kernel-data"))}
    env["G4F_JUPYTER_PROVIDERS_DIR"] = str(tmp_path_factory.mktemp("kernel-providers"))
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = execute(kc, "%load_ext g4f_jupyter\nimport sys; sys.executable")[0]
        assert reply["content"]["status"] == "ok"
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def displayed_text(messages: list[dict[str, Any]]) -> str:
    """The last rendering of the answer's display."""
    shown = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
    assert shown, [m["msg_type"] for m in messages]
    return str(shown[-1]["content"]["data"]["text/markdown"])


def test_magic_kernel_streams_display_updates_before_the_reply(kernel: tuple[KernelManager, Any]) -> None:
    _, kc = kernel
    reply, messages = execute(kc, "%g4f --max-tokens 30 Count from 1 to 20")
    assert reply["content"]["status"] == "ok"
    replied_at = reply["header"]["date"]
    updates = [m for m in messages if m["msg_type"] == "update_display_data"]
    assert len(updates) >= 3
    assert all(m["header"]["date"] < replied_at for m in updates)  # streamed while the cell ran
    assert len({m["content"]["transient"]["display_id"] for m in updates}) == 1  # one growing output
    text = displayed_text(messages)
    assert text.strip()
    assert not [m for m in messages if m["msg_type"] == "execute_result"]  # not shown twice
    assert not [m for m in messages if m["msg_type"] == "error"]
    count = reply["content"]["execution_count"]
    check, outputs = execute(kc, f"Out[{count}] == {text!r}, type(Out[{count}]).__mro__[1].__name__")
    assert check["content"]["status"] == "ok"
    results = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert results[0]["content"]["data"]["text/plain"] == "(True, 'str')"  # Out[n] holds the answer
    # shown from a later cell, Out[n] renders as Markdown
    _, outputs = execute(kc, f"Out[{count}]")
    shown = [m["content"]["data"] for m in outputs if m["msg_type"] in ("display_data", "execute_result")]
    assert shown == [{"text/markdown": text, "text/plain": text}]


def test_magic_kernel_code_cell_is_inserted_once_per_notebook_cell(kernel: tuple[KernelManager, Any]) -> None:
    _, kc = kernel
    code = "%%g4f -f code --no-history --max-tokens 24\nWrite a Python function that adds two numbers."

    def inserted(reply: dict[str, Any]) -> list[str]:
        return [p["text"] for p in reply["content"]["payload"] if p.get("source") == "set_next_input"]

    first, _ = execute(kc, code, cell_id="cell-a")
    assert len(inserted(first)) == 1 and inserted(first)[0].strip()
    assert first["content"]["payload"][0]["replace"] is False  # a new cell below, the prompt cell stays
    again, messages = execute(kc, code, cell_id="cell-a")  # the same cell run again
    assert again["content"]["status"] == "ok" and inserted(again) == []
    notes = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "display_data"]
    assert any("already inserted a code cell on an earlier run" in note for note in notes)
    other, _ = execute(kc, code, cell_id="cell-b")  # another cell inserts its own
    assert len(inserted(other)) == 1


def test_magic_kernel_leaves_the_code_cell_to_a_notebook_with_our_extension(
    kernel: tuple[KernelManager, Any],
) -> None:
    """Our Lab extension flags its requests: the kernel then asks it (by a display bundle) to insert
    or replace the cell, on every run, and adds no ``set_next_input`` that would make a second copy."""
    _, kc = kernel
    code = "%%g4f -f code --no-history --max-tokens 24\nWrite a Python function that adds two numbers."
    flag = {"g4f_jupyter": {"places_code_cells": True}}
    for _ in range(2):  # a re-run asks again: the extension replaces what the first run inserted
        reply, messages = execute(kc, code, cell_id="cell-lab", metadata=flag)
        assert reply["content"]["status"] == "ok"
        assert [p for p in reply["content"]["payload"] if p.get("source") == "set_next_input"] == []
        bundles = [m["content"]["data"] for m in messages if m["msg_type"] == "display_data"
                   and CODE_MIME in m["content"]["data"]]
        assert len(bundles) == 1, [m["msg_type"] for m in messages]
        assert bundles[0][CODE_MIME]["source_cell"] == "cell-lab"
        assert bundles[0][CODE_MIME]["code"].strip()
        assert "cell below" in bundles[0]["text/plain"]  # what a frontend without the extension shows
    # without the cell's id there is nothing to tag: the kernel inserts below as for any frontend
    reply, _ = execute(kc, code, metadata=flag)
    assert [p for p in reply["content"]["payload"] if p.get("source") == "set_next_input"]


def test_magic_kernel_interrupt_keeps_the_partial_answer(kernel: tuple[KernelManager, Any]) -> None:
    km, kc = kernel
    msg_id = kc.execute("%g4f --no-history --max-tokens 400 Write a long story about a dragon and a knight.")
    messages: list[dict[str, Any]] = []
    interrupted_at = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "update_display_data" and interrupted_at is None:
            km.interrupt_kernel()
            interrupted_at = time.monotonic()
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert interrupted_at is not None
    reply = kc.get_shell_msg(timeout=15)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert time.monotonic() - interrupted_at < 15
    # the cell ends as any interrupted cell does (so Run All stops), with the partial answer kept
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    text = displayed_text(messages)
    assert text.rstrip().endswith("[interrupted]") and len(text) > len("[interrupted]")
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "KeyboardInterrupt"
    shown = "\n".join(errors[0]["traceback"]).strip()
    assert len(shown.splitlines()) == 1, shown  # one line, no frames of the machinery
    assert shown.startswith("KeyboardInterrupt") and reply["content"]["traceback"] == errors[0]["traceback"]

    started = time.monotonic()
    after, outputs = execute(kc, "1+1", timeout=30)
    assert after["content"]["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["2"]
    assert time.monotonic() - started < 30
    print(f"interrupt to reply: {time.monotonic() - interrupted_at:.2f}s", file=sys.stderr)
