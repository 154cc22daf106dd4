"""Kernel websockets of a server with the extension send without Nagle's delay (TCP_NODELAY on the server's side)."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


def server_side(peer: tuple[str, int]) -> socket.socket:
    """This process's socket whose peer is ``peer`` (the test server runs in the test's process)."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            candidate = socket.socket(fileno=os.dup(int(fd)))
        except OSError:
            continue
        try:
            if candidate.family == socket.AF_INET and candidate.getpeername() == peer:
                return candidate
        except OSError:
            pass
        candidate.close()
    raise AssertionError(f"no socket connected to {peer}")


@pytest.mark.asyncio
async def test_kernel_websocket_messages_leave_at_once(
    jp_serverapp: Any, server_url: str, jp_fetch: Any, jp_auth_header: dict[str, str]
) -> None:
    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body="{}")).body)["id"]
    url = server_url.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels"
    client = await websocket_connect(HTTPRequest(url, headers=jp_auth_header))
    try:
        assert client.stream is not None
        ours = client.stream.socket.getsockname()
        with server_side(ours) as theirs:
            assert theirs.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), "the server's side waits for no ACK"
        connection_class = jp_serverapp.web_app.settings["kernel_websocket_connection_class"]
        assert connection_class.__name__ == "ZMQChannelsWebsocketConnectionWithoutNagle"
    finally:
        client.close()
        await jp_fetch("api", "kernels", kernel, method="DELETE")
