"""Real kernels on the server's data directory: a widget chat is listed by the server and reopens in a new
kernel with its history; an exported notebook runs its code cells on a kernel."""

from __future__ import annotations

import ast
import asyncio
import io
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from pages.echo_peer import EchoOpenAI, add_echo_provider

Fetch = Callable[..., Any]
URL = "backend-api/v2/conversations"


class RecordingEcho(EchoOpenAI):
    """The echo peer, keeping each request body so a test sees the history a question carried."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(json.loads(raw))
        self.rfile = io.BytesIO(raw)
        super().do_POST()


@pytest.fixture
def echo_provider(loopback: Callable[..., str], user_providers_dir: Path) -> str:
    RecordingEcho.bodies = []
    add_echo_provider(user_providers_dir, "Echo", loopback(RecordingEcho) + "/v1")
    return "Echo"


@asynccontextmanager
async def kernel() -> AsyncIterator[Any]:
    """A fresh python3 kernel on this test's data and provider directories (its environment)."""
    manager = AsyncKernelManager(kernel_name="python3")
    await manager.start_kernel(env=dict(os.environ))
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


async def execute(client: Any, code: str, **expressions: str) -> dict[str, Any]:
    """Run ``code``; each named expression evaluated after it (plain data, read back through JSON)."""
    wrapped = {name: f"__import__('json').dumps({e})" for name, e in expressions.items()}
    msg_id = client.execute(code, user_expressions=wrapped)
    while True:
        reply = await client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    content = reply["content"]
    assert content["status"] == "ok", content
    values = {}
    for name, value in content["user_expressions"].items():
        assert value["status"] == "ok", value
        values[name] = json.loads(ast.literal_eval(value["data"]["text/plain"]))  # the repr of the JSON text
    return values


async def until_answered(client: Any) -> None:
    deadline = time.monotonic() + 60
    while not (await execute(client, "", done="t.done()"))["done"]:
        assert time.monotonic() < deadline, "the answer did not finish"
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_a_widget_chat_is_listed_by_the_server_and_reopens_in_a_new_kernel(
    raw_fetch: Fetch, echo_provider: str
) -> None:
    async with kernel() as first:
        await execute(first, f"import g4f_jupyter\nw = g4f_jupyter.chat(provider={echo_provider!r})")
        await execute(first, "t = w.send('Remember the word lighthouse.')")
        await until_answered(first)
        chat_id = (await execute(first, "", id="w.conversation['id']"))["id"]

    listing = json.loads((await raw_fetch(URL)).body)
    assert listing["total"] == 1
    entry = listing["conversations"][0]
    assert entry["id"] == chat_id and entry["messages"] == 2
    assert entry["title"] == entry["preview"] == "Remember the word lighthouse."
    saved = json.loads((await raw_fetch(f"{URL}/{chat_id}")).body)
    assert saved["items"][1]["content"] == "Remember the word lighthouse."  # the echo's answer
    assert saved["items"][1]["provider"]["name"] == "Echo"

    # the page renames it and keeps its own keys on it
    saved["data"] = {"Echo": {"state": 1}}
    saved["share"] = {"id": "s-7"}
    assert (await raw_fetch(f"{URL}/{chat_id}", "PUT", saved)).code == 200
    assert (await raw_fetch(f"{URL}/{chat_id}", "PATCH", {"title": "Lighthouse words"})).code == 200

    async with kernel() as second:
        await execute(second, f"import g4f_jupyter\nw = g4f_jupyter.chat({chat_id!r}, provider={echo_provider!r})")
        shown = await execute(
            second, "",
            speakers="[turn.speaker for turn in w.transcript.children]",
            texts="[turn.text for turn in w.transcript.children]",
            header="w.transcript.children[1].header.value",
        )
        assert shown["speakers"] == ["You", "Assistant"]
        assert shown["texts"] == ["Remember the word lighthouse."] * 2
        assert "Echo" in shown["header"]
        await execute(second, "t = w.send('Which word?')")
        await until_answered(second)

    sent = RecordingEcho.bodies[-1]["messages"]
    assert [(m["role"], m["content"]) for m in sent if m["role"] != "system"] == [
        ("user", "Remember the word lighthouse."),
        ("assistant", "Remember the word lighthouse."),
        ("user", "Which word?"),
    ]  # the reopened chat's history went with the next question
    listing = json.loads((await raw_fetch(URL)).body)
    assert listing["total"] == 1 and listing["conversations"][0]["messages"] == 4
    after = json.loads((await raw_fetch(f"{URL}/{chat_id}")).body)
    assert after["title"] == "Lighthouse words" and after["data"] == {"Echo": {"state": 1}}
    assert after["share"] == {"id": "s-7"} and after["items"][3]["content"] == "Which word?"
    assert after["updated"] > saved["updated"]


@pytest.mark.asyncio
async def test_an_exported_notebook_runs_its_code_cells_on_a_kernel(raw_fetch: Fetch, jp_root_dir: Path) -> None:
    answer = (
        "First compute it:\n\n```python\nimport math\nvalue = math.factorial(5)\n```\n\n"
        "Then show it:\n\n```python\nprint(value * 2)\n```\n\n"
        "From a shell you would write:\n\n```sh\npython -c 'print(240)'\n```\n"
    )
    chat = {"title": "Factorials", "items": [
        {"role": "user", "content": "Twice 5 factorial?"},
        {"role": "assistant", "content": answer},
    ]}
    assert (await raw_fetch(f"{URL}/fact", "PUT", chat)).code == 200
    exported = await raw_fetch(f"{URL}/fact/export", "POST", {"format": "ipynb"})
    path = json.loads(exported.body)["path"]
    assert exported.code == 200 and path == "factorials.ipynb"

    notebook = nbformat.read(jp_root_dir / path, as_version=4)
    nbformat.validate(notebook)
    where = {"metadata": {"path": str(jp_root_dir)}}
    client = NotebookClient(notebook, timeout=60, kernel_name="python3", resources=where)
    await client.async_execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == ["import math\nvalue = math.factorial(5)", "print(value * 2)"]
    assert [cell.execution_count for cell in code] == [1, 2]
    assert code[1].outputs == [{"output_type": "stream", "name": "stdout", "text": "240\n"}]
