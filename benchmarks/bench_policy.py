"""What the operator's policy costs a turn: admission with and without a policy, the answer-slot
locks against a shared counter file, the turn record, and reading the day's records.

Answers at once are counted with one ``flock``ed lock file per slot (``service/stream_slots.py``).
The alternative, a shared counter file (``flock``, read, write +1; the same again with -1 at the
end), is timed beside it in the same run; it costs about the same but a kernel killed mid-answer
would leave its +1 behind, while a dead process's ``flock`` is released by the OS.

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_policy.py
"""

from __future__ import annotations

import fcntl
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROUNDS = 2000


def per_call_us(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def counter_file_turn(path: Path) -> None:
    """The alternative: +1 under flock at the start, -1 at the end."""
    for step in (1, -1):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            count = int(os.read(fd, 32) or b"0") + step
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, str(count).encode())
        finally:
            os.close(fd)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["G4F_JUPYTER_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["G4F_JUPYTER_PROVIDERS_DIR"] = str(Path(tmp) / "providers")
        os.environ["G4F_JUPYTER_SYSTEM_PROVIDERS_PATH"] = ""
        from g4f_jupyter.core.runner import ChatRequest
        from g4f_jupyter.service import usage_ledger
        from g4f_jupyter.service.policy import admit
        from g4f_jupyter.service.stream_slots import take_slot

        request = ChatRequest(messages=[{"role": "user", "content": "hi"}], provider="Local")
        os.environ.pop("G4F_JUPYTER_POLICY", None)
        off = per_call_us(lambda: admit(request))
        policy = {"*": {"providers": ["Local", "HubModel"], "max_streams": 2, "daily_tokens": {"Local": 10**9}}}
        os.environ["G4F_JUPYTER_POLICY"] = json.dumps(policy)

        def admitted() -> None:
            slot = admit(request).slot
            assert slot is not None
            slot.release()

        on = per_call_us(admitted)

        def slot_turn() -> None:
            slot = take_slot(2)
            assert slot is not None
            slot.release()

        slots = per_call_us(slot_turn)
        held = take_slot(2)
        second_slot = per_call_us(slot_turn)  # slot 0 held: the second is tried after it
        assert held is not None
        held.release()
        counter = per_call_us(lambda: counter_file_turn(Path(tmp) / "counter"))
        record = per_call_us(lambda: usage_ledger.record_turn("Local", "m", 50, False), 1000)
        day = usage_ledger.day_of(usage_ledger.clock())
        usage_ledger._read.clear()  # a new process reading a day of 1,000 turns
        start = time.perf_counter()
        usage_ledger.day_totals(day)
        first_read = (time.perf_counter() - start) * 1e6
        again = per_call_us(lambda: usage_ledger.day_totals(day))
    print(f"plan and admit a turn: no policy {off:.1f} µs; with a policy (a slot of 2, a budget) {on:.1f} µs")
    print(f"answer slot (flock on slot files) take + release: {slots:.1f} µs, {second_slot:.1f} µs when slot 0 is held;"
          f" shared counter file +1/-1 under flock: {counter:.1f} µs")
    print(f"record a turn (locked append): {record:.1f} µs; today's totals over 1,000 turns: {first_read:.0f} µs "
          f"first read in a process, {again:.1f} µs after (only new lines are read)")


if __name__ == "__main__":
    main()
