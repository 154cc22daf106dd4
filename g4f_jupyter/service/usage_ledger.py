"""Every answered turn's tokens, per provider and UTC day, written by the server and its kernels.

Each turn that reached a provider adds one JSON line to ``usage/turns/YYYY-MM-DD.jsonl`` (whole
lines under a lock, so both processes append safely). Daily budgets (:mod:`.policy`) and the
report to the hub's usage service count from these files, whatever the door: unlike the
client-sent ``/usage`` reports, the magics, ``ask()`` and widgets are counted too. A process
reads each day's file incrementally, remembering how far it got.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..core.events import Content, Event, ProviderInfo, Usage
from ..core.runner import estimate_tokens
from ..store.atomic import append_jsonl
from ..store.layout import turns_dir

__all__ = ["Totals", "TurnMeter", "clock", "day_of", "day_totals", "record_turn", "seconds_to_next_day"]

clock: Callable[[], float] = time.time
"""The time source of budgets and records (seconds since the epoch); tests move it."""


@dataclass
class Totals:
    requests: int = 0
    tokens: int = 0


def day_of(when: float) -> str:
    """The UTC day of ``when``: budgets and records change day at 00:00 UTC, the same in every process."""
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d")


def seconds_to_next_day(when: float) -> int:
    """Whole seconds from ``when`` until the next 00:00 UTC (at least 1)."""
    now = datetime.fromtimestamp(when, timezone.utc)
    midnight = datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=1)
    return max(1, int((midnight - now).total_seconds() + 0.999))


def _day_file(day: str) -> Path:
    return turns_dir() / f"{day}.jsonl"


def record_turn(provider: str, model: str, tokens: int, estimated: bool, when: float | None = None) -> None:
    """Append one answered turn to its day's file."""
    when = clock() if when is None else when
    line = {"t": round(when, 3), "provider": provider, "model": model, "tokens": tokens, "estimated": estimated}
    append_jsonl(_day_file(day_of(when)), line)


_read_lock = threading.Lock()
_read: dict[Path, tuple[int, int, dict[str, Totals]]] = {}  # file -> (inode, bytes read, totals so far)


def day_totals(day: str) -> dict[str, Totals]:
    """Requests and tokens per provider on ``day`` (``YYYY-MM-DD``), from this data directory."""
    path = _day_file(day)
    with _read_lock:
        try:
            with path.open("rb") as file:
                inode = os.fstat(file.fileno()).st_ino
                seen_inode, offset, totals = _read.get(path, (inode, 0, {}))
                if seen_inode != inode:
                    offset, totals = 0, {}
                file.seek(offset)
                data = file.read()
        except FileNotFoundError:
            _read.pop(path, None)
            return {}
        whole = data[: data.rfind(b"\n") + 1]  # a line still being appended is read next time
        for raw in whole.splitlines():
            try:
                entry = json.loads(raw)
                counted = totals.setdefault(str(entry["provider"]), Totals())
                counted.requests += 1
                counted.tokens += int(entry["tokens"])
            except (ValueError, KeyError, TypeError):
                continue  # a damaged line costs its own turn, never the day
        _read[path] = (inode, offset + len(whole), totals)
        return {name: dataclasses.replace(t) for name, t in totals.items()}


class TurnMeter:
    """Watches one turn's events and records what it cost when the turn ends, however it ends.

    The provider's own usage is recorded when it came; a turn stopped early (Stop, a closed
    connection) is recorded as estimated from the prompt and the text written so far.
    """

    def __init__(self, prompt: str) -> None:
        self._prompt = prompt
        self._provider: ProviderInfo | None = None
        self._written: list[str] = []
        self._usage: Usage | None = None

    def see(self, event: Event) -> None:
        if isinstance(event, ProviderInfo):
            self._provider, self._written = event, []  # a fallback starts over with the next provider
        elif isinstance(event, Content):
            self._written.append(event.content)
        elif isinstance(event, Usage):
            self._usage = event

    def record(self) -> None:
        """Write the turn's line (nothing when no provider answered)."""
        if self._provider is None or (self._usage is None and not self._written):
            return
        if self._usage is not None:
            provider = str(self._usage.extra.get("provider") or self._provider.name)
            model = str(self._usage.extra.get("model") or self._provider.model)
            record_turn(provider, model, self._usage.total_tokens, self._usage.estimated)
        else:
            tokens = estimate_tokens(self._prompt) + estimate_tokens("".join(self._written))
            record_turn(self._provider.name, self._provider.model, tokens, True)
