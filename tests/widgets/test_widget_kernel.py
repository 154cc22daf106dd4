"""In a real kernel: a chat answer streams as a task on the kernel's loop while other
execute requests and widget comm messages keep flowing (no nest_asyncio)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from jupyter_client.manager import AsyncKernelManager

SETUP = """
import sys
from g4f_jupyter.widgets import ChatWidget
w = ChatWidget(max_tokens=400)
t = w.send("Write a long story about a lighthouse keeper and her cat.")
"""


@pytest_asyncio.fixture
async def kernel() -> AsyncIterator[Any]:
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel(env=dict(os.environ))  # the test's sandboxed data dirs
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    try:
        yield kc
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


async def execute(kc: Any, code: str, **expressions: str) -> dict[str, str]:
    """Run ``code``; the ``text/plain`` of each named expression evaluated right after it."""
    msg_id = kc.execute(code, user_expressions=expressions)
    while True:
        reply = await kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    content = reply["content"]
    assert content["status"] == "ok", content
    return {name: value["data"]["text/plain"] for name, value in content["user_expressions"].items()}


async def send_comm(kc: Any, comm_id: str, data: dict[str, Any]) -> None:
    """What a browser does when a widget changes: a comm_msg on the shell channel."""
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))


async def wait_iopub(kc: Any, match: Any, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        msg = await kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if match(msg):
            return msg


@pytest.mark.asyncio
async def test_execute_requests_and_widget_comms_flow_while_an_answer_streams(kernel: Any) -> None:
    kc = kernel
    ids = await execute(kc, SETUP, input_id="w.input.comm.comm_id", stop_id="w.stop_button.comm.comm_id")
    input_id, stop_id = (ids[k].strip("'") for k in ("input_id", "stop_id"))

    # wait for the first words, then the kernel must answer while the task keeps streaming
    while int((await execute(kc, "", n="len(w.last_answer)"))["n"]) == 0:
        await asyncio.sleep(0.05)
    first = await execute(kc, "x = 1 + 1", x="x", done="t.done()", n="len(w.last_answer)")
    assert first["x"] == "2" and first["done"] == "False"
    # requests keep being answered while the answer goes on growing
    while True:
        second = await execute(
            kc,
            "",
            done="t.done()",
            n="len(w.last_answer)",
            patched="'nest_asyncio' in sys.modules or 'nest_asyncio2' in sys.modules",
        )
        assert second["done"] == "False"
        if int(second["n"]) > int(first["n"]):
            break
        await asyncio.sleep(0.05)
    assert second["patched"] == "False"

    # a widget state update from the client round-trips (ipywidgets echoes it back) mid-stream
    await send_comm(kc, input_id, {"method": "update", "state": {"value": "typed in the browser"}, "buffer_paths": []})
    echo = await wait_iopub(
        kc,
        lambda m: (
            m["msg_type"] == "comm_msg"
            and m["content"]["comm_id"] == input_id
            and m["content"]["data"].get("method") == "echo_update"
        ),
    )
    assert echo["content"]["data"]["state"]["value"] == "typed in the browser"
    state = await execute(kc, "", value="w.input.value", done="t.done()")
    assert state == {"value": "'typed in the browser'", "done": "False"}

    # clicking Stop is a comm message too: the task ends promptly, the partial answer stays
    await send_comm(kc, stop_id, {"method": "custom", "content": {"event": "click"}})
    stopped_at = time.monotonic()
    while (await execute(kc, "", done="t.done()"))["done"] == "False":
        assert time.monotonic() - stopped_at < 1.0
        await asyncio.sleep(0.02)
    final = await execute(kc, "", finish="w.conversation['items'][-1]['finish']", n="len(w.last_answer)")
    assert final["finish"] == "{'reason': 'cancelled'}" and int(final["n"]) >= int(second["n"])


@pytest.mark.asyncio
async def test_chat_called_last_in_a_cell_shows_one_widget(kernel: Any) -> None:
    kc = kernel
    views = []
    for code in ("import g4f_jupyter\ng4f_jupyter.chat()", "w = g4f_jupyter.chat()", "w"):
        msg_id = kc.execute(code)
        outputs = []
        while True:
            msg = await kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            if msg["msg_type"] in ("display_data", "execute_result"):
                outputs.append(msg["content"]["data"])
        views.append(sum("application/vnd.jupyter.widget-view+json" in data for data in outputs))
    assert views == [1, 1, 1]  # the returned widget is not shown a second time


@pytest.mark.asyncio
async def test_enter_in_the_prompt_box_sends_from_the_browser(kernel: Any) -> None:
    """What the prompt box sends on Enter (its value, then a submit message) asks the question."""
    kc = kernel
    setup = "from g4f_jupyter.widgets import ChatWidget\nw = ChatWidget(max_tokens=8)"
    ids = await execute(kc, setup, i="w.input.comm.comm_id")
    input_id = ids["i"].strip("'")
    await send_comm(kc, input_id, {"method": "update", "state": {"value": "Say ok."}, "buffer_paths": []})
    await send_comm(kc, input_id, {"method": "custom", "content": {"event": "submit"}})
    deadline = time.monotonic() + 60
    while (await execute(kc, "", sent="w.task is not None and w.task.done()"))["sent"] != "True":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    state = await execute(kc, "", asked="w.messages[0]['content']", box="w.input.value", n="len(w.last_answer) > 0")
    assert state == {"asked": "'Say ok.'", "box": "''", "n": "True"}
