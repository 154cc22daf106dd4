"""How an answer moves from the server's process to a relay worker: one frame on a Unix socket.

A frame is a 5-byte header (payload length, how many file descriptors go with it) and a pickled
:class:`Handoff`. The client's socket, and the lock file of the answer slot when the policy
holds one, travel with the header's bytes as ``SCM_RIGHTS``: the worker receives the very same
open files, so the client's connection and the slot's ``flock`` simply change hands. Both
processes are the same user's, one started by the other, so pickle is safe here.
"""

from __future__ import annotations

import array
import asyncio
import os
import pickle
import socket
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..core.runner import ChatRequest
from .settings import OperatorSettings

__all__ = ["READY", "FrameReader", "Handoff", "send_frame"]

READY = b"r"
"""What a worker writes on its channel once it can take answers."""

_HEADER = struct.Struct("!IB")
_MAX_FDS = 8
_RECEIVE = 256 * 1024
_CLOEXEC = getattr(socket, "MSG_CMSG_CLOEXEC", 0)


@dataclass
class Handoff:
    """One admitted turn for a worker to answer on the socket that comes with it."""

    request: ChatRequest
    candidates: list[tuple[str, str]]  # (provider name, model), as the policy planned them
    settings: OperatorSettings | None
    sse: bool
    slot: bool  # an answer slot's lock file follows the client's socket
    environment: dict[str, str] | None = None  # the server's environment, when it changed since the last frame


async def send_frame(channel: socket.socket, handoff: Handoff, fds: list[int]) -> None:
    """Write one frame on the non-blocking ``channel`` (the caller keeps frames from interleaving)."""
    payload = pickle.dumps(handoff, protocol=pickle.HIGHEST_PROTOCOL)
    data = _HEADER.pack(len(payload), len(fds)) + payload
    loop = asyncio.get_running_loop()
    while True:
        try:
            sent = socket.send_fds(channel, [data], fds)
            break
        except BlockingIOError:  # the worker is behind: wait until its socket takes bytes again
            writable = loop.create_future()
            loop.add_writer(channel, writable.set_result, None)
            try:
                await writable
            finally:
                loop.remove_writer(channel)
    if sent < len(data):  # the descriptors went with the first bytes; the rest follows
        await loop.sock_sendall(channel, memoryview(data)[sent:])


class FrameReader:
    """Reads frames from a non-blocking channel as bytes arrive (an event loop reader callback).

    Descriptors arrive with the first bytes of their frame, never after them, so they are kept
    in arrival order and each complete frame takes as many as its header says.
    """

    def __init__(self, channel: socket.socket, on_frame: Callable[[Handoff, list[int]], None],
                 on_closed: Callable[[], None]) -> None:
        self._channel = channel
        self._on_frame = on_frame
        self._on_closed = on_closed
        self._buffer = bytearray()
        self._fds: deque[int] = deque()

    def readable(self) -> None:
        try:
            data, ancillary, _, _ = self._channel.recvmsg(_RECEIVE, socket.CMSG_SPACE(_MAX_FDS * 4), _CLOEXEC)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        for level, kind, fds in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                self._fds.extend(array.array("i", fds[: len(fds) - len(fds) % 4]))
        if not data:
            self.close()
            self._on_closed()
            return
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            length, count = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + length
            if len(self._buffer) < end:
                break
            handoff = pickle.loads(self._buffer[_HEADER.size : end])
            del self._buffer[:end]
            self._on_frame(handoff, [self._fds.popleft() for _ in range(count)])

    def close(self) -> None:
        """Close descriptors that came without a whole frame (the sender went away mid-frame)."""
        while self._fds:
            os.close(self._fds.popleft())
