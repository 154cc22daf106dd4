"""Streamed answers: headers, a send task the client's leaving cancels, and the event write scheduler.

A relayed chat stream is the job the server exists for, so this path is kept lean: events
become wire bytes in :mod:`g4f_jupyter.core.events`, and under load the events that piled
up while the loop was busy leave in one write and one flush instead of one syscall each.
A chat turn from a network provider goes further: once admitted, its headers are sent here
and the connection is handed to a relay worker process (:mod:`g4f_jupyter.service.relay_pool`),
which writes the answer, so this loop stays free for Jupyter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Coroutine
from typing import TYPE_CHECKING, Any, Literal

from tornado.http1connection import HTTP1Connection
from tornado.iostream import IOStream, SSLIOStream, StreamClosedError

from ..core.events import Event, encode
from ..core.loop_lag import loop_lag
from ..core.runner import ChatRequest
from ..service import relay_pool
from ..service.conversation import admitted_events
from ..service.policy import Admission

__all__ = ["StreamingMixin"]

if TYPE_CHECKING:  # the mixin is only ever used with a request handler: type it as one
    from jupyter_server.base.handlers import APIHandler as _Handler
else:
    _Handler = object


class StreamingMixin(_Handler):
    """Mixed into the API handler, before Tornado's ``RequestHandler`` in the MRO."""

    _pump: asyncio.Future[None] | None = None

    def connection_stream(self) -> IOStream:
        """The client's socket stream (Tornado's HTTP/1 server is the only one Jupyter runs)."""
        connection = self.request.connection
        assert isinstance(connection, HTTP1Connection)
        return connection.stream

    def start_stream(self, kind: str) -> None:
        """Headers of a streamed answer: no caching, and no proxy buffering between flushes."""
        self.set_header("Content-Type", kind)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")

    async def pump(self, send: Coroutine[Any, Any, None], kind: str) -> None:
        """Run ``send`` (which writes and flushes) as a task the client's leaving can cancel.

        A plain ``await`` would only notice a closed connection at the next write, which
        can be a long extraction or generation step away.
        """
        self._pump = asyncio.ensure_future(send)
        await asyncio.wait({self._pump})
        if self._pump.cancelled() or self.connection_stream().closed():
            return
        self._pump.result()
        self.finish(set_content_type=kind)

    def on_connection_close(self) -> None:
        """The client went away: cancel the stream now, not at the next piece."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
        super().on_connection_close()

    async def stream_events(self, events: AsyncGenerator[Event, None], *, sse: bool) -> None:
        """Answer with ``events`` framed as NDJSON lines (or SSE blocks), until they end or the client leaves."""
        self.start_stream("text/event-stream")
        self.connection_stream().set_nodelay(True)  # no Nagle delay per event
        await self.pump(self._send_events(events, "sse" if sse else "ndjson"), "text/event-stream")

    async def stream_turn(self, request: ChatRequest, admission: Admission, *, sse: bool) -> None:
        """Answer an admitted chat turn: through a relay worker when one takes it, else here.

        A worker answers over a plain HTTP/1.1 connection only; its answer carries the same
        headers as one from here, plus ``Connection: close`` (the connection is the worker's
        to close). Jupyter's access line is logged when the worker takes the answer over.
        """
        relay = relay_pool.relay_for(admission) if self._may_hand_off() else None
        if relay is not None:
            self.start_stream("text/event-stream")
            self.set_header("Connection", "close")
            stream = self.connection_stream()
            stream.set_nodelay(True)  # the socket's option, so the worker's too
            try:
                await self.flush()
            except StreamClosedError:  # gone before the first byte: nothing ran, nothing to record
                if admission.slot is not None:
                    admission.slot.release()
                return
            if await relay.hand_off(stream.socket, request, admission, None, sse):
                self.detach().close()  # the worker holds the connection now; this copy only closes here
                self.application.log_request(self)
                return
        await self.stream_events(admitted_events(request, admission), sse=sse)

    def _may_hand_off(self) -> bool:
        """Whether this connection can change process: plain HTTP/1.1, no TLS, no compressed output."""
        return (
            self.request.version == "HTTP/1.1"
            and not isinstance(self.connection_stream(), SSLIOStream)
            and not self.settings.get("compress_response", self.settings.get("gzip"))
        )

    async def _send_events(self, events: AsyncGenerator[Event, None], fmt: Literal["ndjson", "sse"]) -> None:
        """Write events as they come; those that arrive before the loop next turns leave in one write and flush.

        A quiet server flushes every event at once. On a loaded one, or from a fast source
        whose whole answer arrives in one read, fewer and larger writes go out instead of
        one syscall per token. While a client reads slower than events come, the provider
        is not read either (the last flush is awaited), so nothing piles up in memory. While
        the loop runs behind, the stream pauses before reading on (:mod:`g4f_jupyter.core.loop_lag`), so
        Jupyter's own requests are not starved; the first event never waits.
        """
        loop = asyncio.get_running_loop()
        lag = loop_lag()
        pending: list[Event] = []
        flushed: asyncio.Future[None] | None = None
        scheduled: asyncio.Handle | None = None

        def send() -> None:
            nonlocal flushed, scheduled
            scheduled = None
            self.write(encode(pending, fmt))
            pending.clear()
            flushed = self.flush()
            flushed.add_done_callback(_retrieved)

        lag.stream_started()
        try:
            async with contextlib.aclosing(events):  # closing the provider's stream stops the model at its next token
                async for event in events:
                    if not pending:
                        if flushed is not None:
                            if not flushed.done():
                                await flushed
                            pause = lag.pause()
                            if pause:
                                await asyncio.sleep(pause)
                        scheduled = loop.call_soon(send)
                    pending.append(event)
            if scheduled is not None:
                scheduled.cancel()
                send()
            if flushed is not None:
                await flushed
        except StreamClosedError:
            pass
        finally:
            lag.stream_ended()
            if scheduled is not None:
                scheduled.cancel()


def _retrieved(future: asyncio.Future[None]) -> None:
    """A flush that failed because the client left is seen by the next await on it, or needs no report."""
    if not future.cancelled():
        future.exception()
