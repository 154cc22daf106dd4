"""Running code in a real kernel as a notebook frontend does, for the kernel tests."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["execute"]


def execute(
    kc: Any, code: str, timeout: float = 120, on_iopub: Any = None, cell_id: str | None = None,
    metadata: dict[str, Any] | None = None, silent: bool = False, user_expressions: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run ``code``; return its execute_reply and the iopub messages it caused (until idle).

    ``cell_id`` is sent in the request's metadata, as JupyterLab and Notebook 7 do, beside ``metadata``.
    ``silent`` requests (a frontend asking for ``user_expressions``) store nothing in the history.
    """
    content = {
        "code": code, "silent": silent, "store_history": not silent, "user_expressions": user_expressions or {},
        "allow_stdin": False,
    }
    sent = {**(metadata or {}), **({"cellId": cell_id} if cell_id else {})}
    request = kc.session.msg("execute_request", content, metadata=sent)
    kc.shell_channel.send(request)
    msg_id = request["header"]["msg_id"]
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if on_iopub is not None:
            on_iopub(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
    assert reply["parent_header"]["msg_id"] == msg_id
    return reply, messages
