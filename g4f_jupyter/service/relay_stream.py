"""A relay worker's side of one answer: events written to the client's socket as HTTP/1.1 chunks.

The server has already sent the status line and headers (``Transfer-Encoding: chunked``,
``Connection: close``); this writes the body with the one event writer
(:func:`g4f_jupyter.core.events.encode`), the last chunk, and closes. As on the server's own
path, events that arrive before the loop next turns leave in one write, a client that reads
slower than events come holds the provider back (the socket's buffer is awaited), and a client
that leaves cancels the answer at once, which closes the provider's stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncGenerator
from typing import Literal

from ..core.events import Event, encode
from ..core.loop_lag import loop_lag

__all__ = ["LAST_CHUNK", "chunk", "relay_events"]

LAST_CHUNK = b"0\r\n\r\n"


def chunk(data: bytes) -> bytes:
    """``data`` as one HTTP/1.1 chunk."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class _Client(asyncio.Protocol):
    """The client's connection: notices it leaving and the socket's buffer filling up."""

    def __init__(self, answer: asyncio.Task[None]) -> None:
        self._answer = answer
        self.done = False
        self.gone = False
        self._drained: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        """A request sent behind this one: unanswered (the answer says ``Connection: close``)."""

    def eof_received(self) -> bool:
        self._leave()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._leave()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    async def drained(self) -> None:
        if self._drained is not None:
            await self._drained

    def _leave(self) -> None:
        if not self.gone:
            self.gone = True
            if not self.done:
                self._answer.cancel()


async def relay_events(
    client: socket.socket, events: AsyncGenerator[Event, None], fmt: Literal["ndjson", "sse"]
) -> None:
    """Write ``events`` to ``client`` until they end or the client leaves; the socket is closed either way.

    Must run as its own task: the client leaving cancels it.
    """
    loop = asyncio.get_running_loop()
    answer = asyncio.current_task()
    assert answer is not None
    try:
        transport, connection = await loop.connect_accepted_socket(lambda: _Client(answer), client)
    except BaseException:
        client.close()
        with contextlib.suppress(BaseException):
            await events.aclose()
        raise
    pending: list[Event] = []
    scheduled: asyncio.Handle | None = None

    def send() -> None:
        nonlocal scheduled
        scheduled = None
        transport.write(chunk(encode(pending, fmt)))
        pending.clear()

    lag = loop_lag()
    lag.stream_started()
    first = True
    try:
        async with contextlib.aclosing(events):  # closing the provider's stream ends its request
            async for event in events:
                if not pending:
                    await connection.drained()
                    pause = 0.0 if first else lag.pause()
                    first = False
                    if pause:
                        await asyncio.sleep(pause)
                    scheduled = loop.call_soon(send)
                pending.append(event)
        if scheduled is not None:
            scheduled.cancel()
            send()
    except Exception:
        if not connection.gone:  # ended as the server's own path ends a failed answer: whole, then the error logged
            transport.write(LAST_CHUNK)
        raise
    else:
        if not connection.gone:
            transport.write(LAST_CHUNK)
    finally:
        lag.stream_ended()
        if scheduled is not None:
            scheduled.cancel()
        connection.done = True
        transport.close()
