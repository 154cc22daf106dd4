"""The server's relay workers: processes that answer admitted chat turns so that its loop stays Jupyter's.

``c.G4FSettings.relay_processes`` workers (0: none, every answer streams in the server's
process as before) are started on the first turn one could answer, so a server that never
relays a network provider never runs one. A turn goes to a worker when every provider it may
use is a network driver (``openai``, ``backend_api``); the embedded model stays in the server's
process, where it is loaded once. Until a worker is ready, and whenever none is, answers stream
in the server's process; a worker that exits is started again (at most every
:data:`RESTART_SECONDS`), and the log says so both times. Stopping the extension stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..core.runner import ChatRequest
from .policy import Admission
from .relay_handoff import READY, Handoff, send_frame
from .settings import OperatorSettings

__all__ = ["RELAYED_DRIVERS", "RESTART_SECONDS", "Relay", "configure", "relay_for", "stop", "wait_ready", "workers"]

log = logging.getLogger(__name__)

RELAYED_DRIVERS = frozenset({"openai", "backend_api"})
"""Drivers whose answers a worker relays: network providers (the embedded model stays in the server)."""

RESTART_SECONDS = 5.0
"""The least time between two starts of one worker, so a worker that cannot start costs little."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    f"import sys; sys.path.append({_PACKAGE_ROOT!r}); "
    "from g4f_jupyter.service.relay_worker import main; main()"
)


def _environment() -> dict[bytes, bytes] | dict[str, str]:
    """The process environment as cheaply as it can be compared (os.environ's own bytes on POSIX)."""
    data = getattr(os.environ, "_data", None)
    return dict(data) if isinstance(data, dict) else dict(os.environ)


def _unchanged(seen: dict[bytes, bytes] | dict[str, str] | None) -> bool:
    data = getattr(os.environ, "_data", None)
    return seen is not None and seen == (data if isinstance(data, dict) else dict(os.environ))


class Relay:
    """One worker process and the channel its turns go down."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # the terminal's Ctrl-C is the server's to handle; the channel ends the worker
            )
        self.started = time.monotonic()
        self.ready = False
        self.exited: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._channel = ours
        self._channel.setblocking(False)
        self._sending = asyncio.Lock()
        self._environment: dict[bytes, bytes] | dict[str, str] | None = _environment()  # inherited as it starts
        asyncio.get_running_loop().add_reader(ours, self._readable)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _readable(self) -> None:
        try:
            data = self._channel.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data.startswith(READY) and not self.ready:
            self.ready = True
            log.info("g4f relay worker (pid %d) ready", self.pid)
        if not data:
            self._gone()

    def _gone(self) -> None:
        """The channel closed: the worker has exited or is about to; reap it without blocking the loop."""
        if self._channel.fileno() < 0:
            return
        asyncio.get_running_loop().remove_reader(self._channel)
        self._channel.close()
        self.ready = False
        reaping = asyncio.ensure_future(asyncio.to_thread(self.process.wait))
        reaping.add_done_callback(self._reaped)

    def _reaped(self, reaping: asyncio.Future[int]) -> None:
        if not _stopping:
            log.warning(
                "g4f relay worker (pid %d) exited (code %s); answers stream in the server's process until it is back",
                self.pid, reaping.result(),
            )
        self.exited.set_result(None)

    async def hand_off(
        self, client: socket.socket, request: ChatRequest, admission: Admission, settings: OperatorSettings | None,
        sse: bool,
    ) -> bool:
        """Send the admitted turn with the client's socket (and the answer slot's lock file).

        ``True``: the worker answers; the caller closes its copy of the socket and forgets the
        connection (the slot's copy here is closed now; the worker's holds the lock). ``False``:
        nothing was taken over, the caller answers as it would have.
        """
        fds = [client.fileno()]
        slot = admission.slot
        if slot is not None:
            fds.append(slot.fileno())
        candidates = [(c.provider.name, c.model) for c in admission.candidates]
        handoff = Handoff(request, candidates, settings, sse, slot is not None)
        async with self._sending:
            if not self.ready:
                return False
            if not _unchanged(self._environment):
                self._environment = _environment()
                handoff.environment = dict(os.environ)
            try:
                await send_frame(self._channel, handoff, fds)
            except OSError:
                log.warning("g4f relay worker (pid %d) did not take an answer; streaming it here", self.pid)
                self._gone()
                return False
        if slot is not None:
            slot.release()
        return True

    async def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, and SIGKILL if it has not exited within ``timeout`` seconds."""
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(self.exited), timeout)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await asyncio.shield(self.exited)


_size = 0
_relays: list[Relay | None] = []
_turn = 0
_stopping = False


_SUPPORTED = os.name == "posix" and hasattr(socket, "send_fds")  # passing a socket to another process


def configure(processes: int) -> None:
    """How many workers to run (0: none, as on systems that cannot pass a socket between processes); they
    start on the first turn one could answer."""
    global _size, _relays, _stopping
    size = max(0, processes) if _SUPPORTED else 0
    _size, _relays, _stopping = size, [None] * size, False


def relay_for(admission: Admission) -> Relay | None:
    """A ready worker for this turn, or ``None``: answer it in this process.

    Only turns whose providers are all network drivers go to a worker. Starts the workers not
    yet running (or gone for :data:`RESTART_SECONDS`); a worker still starting takes nothing.
    """
    global _turn
    if not _size or not all(c.provider.spec.driver in RELAYED_DRIVERS for c in admission.candidates):
        return None
    now = time.monotonic()
    for index, relay in enumerate(_relays):
        if relay is None or (relay.exited.done() and now - relay.started >= RESTART_SECONDS):
            try:
                _relays[index] = Relay()
            except OSError:
                log.exception("g4f relay worker could not start; answers stream in the server's process")
                return None
    for _ in range(_size):
        _turn = (_turn + 1) % _size
        relay = _relays[_turn]
        if relay is not None and relay.ready:
            return relay
    return None


def workers() -> list[Relay]:
    """The workers started and not exited."""
    return [r for r in _relays if r is not None and not r.exited.done()]


async def wait_ready(timeout: float = 60.0) -> list[Relay]:
    """Start the workers now and wait until each is ready (or has exited); the ready ones."""
    global _relays
    _relays = [r if r is not None and not r.exited.done() else Relay() for r in _relays]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(not (r.ready or r.exited.done()) for r in workers()):
        await asyncio.sleep(0.02)
    return [r for r in workers() if r.ready]


async def stop() -> None:
    """End every worker (their running answers stop as a closed connection stops them)."""
    global _size, _relays, _stopping
    running = workers()
    _size, _relays, _stopping = 0, [], True
    await asyncio.gather(*(relay.stop() for relay in running))
