"""A relay worker: a process of its own that answers chat turns the server admitted and handed over.

The server's event loop also serves Jupyter (the contents API, kernel websockets, pages), and
relaying hundreds of provider streams needs more than the one core it runs on. So once Jupyter
has authenticated a ``/conversation`` request and the service has validated it and planned it
within the operator's policy, the server sends the client's socket and the turn here
(:mod:`.relay_handoff`) and forgets the connection. This process runs the same turn the server
would (grounding, the runner, media, the usage record, the answer slot) and writes the answer
(:mod:`.relay_stream`).

Run by :mod:`.relay_pool` as ``python -m g4f_jupyter.service.relay_worker <channel fd>``. It
takes the server's environment with every frame that follows a change, writes its log lines to
the server's standard error, and ends when the server closes the channel or sends SIGTERM
(the answers still running are stopped as a closed connection stops them).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncGenerator

from ..core.drivers import http
from ..core.events import Error, Event
from ..core.registry import get_registry
from ..core.runner import Candidate
from ..errors import G4FError
from .conversation import admitted_events
from .policy import Admission
from .relay_handoff import READY, FrameReader, Handoff
from .relay_stream import relay_events
from .stream_slots import StreamSlot

__all__ = ["main", "serve"]

log = logging.getLogger(__name__)

NICENESS = 10
"""How much lower than the server's its scheduling priority is: when the cores are all busy, Jupyter's own
requests (the contents API, kernel websockets) get the CPU first and the relayed answers what is left."""


async def _failed(exc: G4FError) -> AsyncGenerator[Event, None]:
    yield Error(error=type(exc).__name__, message=f"{type(exc).__name__}: {exc}")


def _events(handoff: Handoff, slot: StreamSlot | None) -> AsyncGenerator[Event, None]:
    """The admitted turn's events, with the providers the server planned (looked up in this process's catalog)."""
    registry = get_registry()
    try:
        candidates = [Candidate(registry.get(name), model) for name, model in handoff.candidates]
    except G4FError as exc:  # the provider's file went away since the server planned the turn
        if slot is not None:
            slot.release()
        return _failed(exc)
    return admitted_events(handoff.request, Admission(candidates, slot), handoff.settings)


async def _answer(handoff: Handoff, fds: list[int]) -> None:
    client = socket.socket(fileno=fds[0])
    slot = StreamSlot(fds[1]) if handoff.slot else None
    try:
        await relay_events(client, _events(handoff, slot), "sse" if handoff.sse else "ndjson")
    except asyncio.CancelledError:
        pass  # the client left, or the worker is stopping
    except Exception:
        log.exception("relaying an answer failed")


async def serve(channel: socket.socket) -> None:
    """Answer the turns that arrive on ``channel`` until it closes or SIGTERM comes."""
    loop = asyncio.get_running_loop()
    stopping = loop.create_future()
    answers: set[asyncio.Task[None]] = set()

    def stop() -> None:
        if not stopping.done():
            stopping.set_result(None)

    def take(handoff: Handoff, fds: list[int]) -> None:
        if handoff.environment is not None:  # settings, keys, proxies and paths are read at call time, as there
            os.environ.clear()
            os.environ.update(handoff.environment)
        task = loop.create_task(_answer(handoff, fds))
        answers.add(task)
        task.add_done_callback(answers.discard)

    channel.setblocking(False)
    reader = FrameReader(channel, take, stop)
    loop.add_reader(channel, reader.readable)
    loop.add_signal_handler(signal.SIGTERM, stop)
    channel.send(READY)
    try:
        await stopping
    finally:
        loop.remove_reader(channel)
        reader.close()
        for task in list(answers):
            task.cancel()
        if answers:
            await asyncio.wait(answers, timeout=10)
        with contextlib.suppress(Exception):
            await http.close_clients()
        channel.close()


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s", stream=sys.stderr
    )
    channel = socket.socket(fileno=int(sys.argv[1]))
    gc.freeze()  # what the imports made lives as long as the process: full collections need not walk it again
    os.nice(NICENESS)
    asyncio.run(serve(channel))


if __name__ == "__main__":
    main()
