"""Streamed answers: headers, a send task the client's leaving cancels, and the event write scheduler.

A relayed chat stream is the job the server exists for, so this path is kept lean: events
become wire bytes in :mod:`g4f_jupyter.core.events`, and under load the events that piled
up while the loop was busy leave in one write and one flush instead of one syscall each.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine
from typing import Any, Literal

from tornado.iostream import StreamClosedError

from ..core.events import Event, frame

__all__ = ["StreamingMixin"]


class StreamingMixin:
    """Mixed into the API handler, before Tornado's ``RequestHandler`` in the MRO."""

    _pump: asyncio.Future[None] | None = None

    def start_stream(self, kind: str) -> None:
        """Headers of a streamed answer: no caching, and no proxy buffering between flushes."""
        self.set_header("Content-Type", kind)  # type: ignore[attr-defined]
        self.set_header("Cache-Control", "no-cache")  # type: ignore[attr-defined]
        self.set_header("X-Accel-Buffering", "no")  # type: ignore[attr-defined]

    async def pump(self, send: Coroutine[Any, Any, None], kind: str) -> None:
        """Run ``send`` (which writes and flushes) as a task the client's leaving can cancel.

        A plain ``await`` would only notice a closed connection at the next write, which
        can be a long extraction or generation step away.
        """
        self._pump = asyncio.ensure_future(send)
        await asyncio.wait({self._pump})
        if self._pump.cancelled() or self.request.connection.stream.closed():  # type: ignore[attr-defined]
            return
        self._pump.result()
        self.finish(set_content_type=kind)  # type: ignore[attr-defined]

    def on_connection_close(self) -> None:
        """The client went away: cancel the stream now, not at the next piece."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
        super().on_connection_close()  # type: ignore[misc]

    async def stream_events(self, events: AsyncGenerator[Event, None], *, sse: bool) -> None:
        """Answer with ``events`` framed as NDJSON lines (or SSE blocks), until they end or the client leaves."""
        self.start_stream("text/event-stream")
        self.request.connection.stream.set_nodelay(True)  # type: ignore[attr-defined]  # no Nagle delay per event
        await self.pump(self._send_events(events, "sse" if sse else "ndjson"), "text/event-stream")

    async def _send_events(self, events: AsyncGenerator[Event, None], fmt: Literal["ndjson", "sse"]) -> None:
        """Write each event as it comes; events that piled up meanwhile leave in one flush.

        A quiet server flushes every event at once. A loaded one (many streams on one
        core) sends fewer, larger writes instead of falling behind one syscall per token.
        """
        ready: asyncio.Queue[Event | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                async for event in events:
                    ready.put_nowait(event)
            finally:
                ready.put_nowait(None)

        producer = asyncio.ensure_future(produce())
        try:
            while (event := await ready.get()) is not None:
                self.write(frame(event, fmt))  # type: ignore[attr-defined]
                while not ready.empty() and (event := ready.get_nowait()) is not None:
                    self.write(frame(event, fmt))  # type: ignore[attr-defined]
                await self.flush()  # type: ignore[attr-defined]
                if event is None:
                    break
            await producer  # a provider failure surfaces here
        except StreamClosedError:
            pass
        finally:
            producer.cancel()  # closes the provider's stream: the model stops at its next token
            await asyncio.gather(producer, return_exceptions=True)
