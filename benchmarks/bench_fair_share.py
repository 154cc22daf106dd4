"""Fair sharing of one model server: how long another user waits while one user floods it, with and
without the policy's limit on answers at once.

The example hub (``hub/jupyterhub_config.py``, whose ``hub/etc`` policy gives group ``students``
at most 2 answers at a time) with the shared model served by llama-cpp-python's server on the
embedded GGUF, which answers one request at a time. Three users: ``flood`` (no group, no limit)
and ``student`` (group students) each open 8 answers at once in turn; while they run, ``bob``
asks once. Printed: bob's time to first content alone, behind the unlimited flood and behind the
student (whose answers past 2 get 429), and how many of the flood's answers came back cut short,
for the server as it starts by default (a new request interrupts the running answer) and with
``--interrupt_requests False`` (requests wait in turn, as in llama.cpp's server with ``--parallel 1``).

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_fair_share.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hub"))
from hubrig import Hub, hub, model_server  # the tests' hub rig

BODY = {"messages": [{"role": "user", "content": "Count from one to twenty."}], "max_tokens": 32, "temperature": 0}
FLOOD = 8


def ask(client: httpx.Client, user: str) -> tuple[int, float, int]:
    """(status, seconds to first content, content events) of one answer from ``user``'s server."""
    start = time.perf_counter()
    first, pieces = 0.0, 0
    with client.stream("POST", f"user/{user}/backend-api/v2/conversation", json=BODY) as response:
        for line in response.iter_lines():
            if '"type":"content"' in line:
                first = first or time.perf_counter() - start
                pieces += 1
        return response.status_code, first, pieces


def behind(running: Hub, flooder: str | None) -> tuple[float, list[tuple[int, float, int]]]:
    """Bob's time to first content while ``flooder`` has 8 answers going (none: alone); the flood's answers."""
    answers: list[tuple[int, float, int]] = []
    threads = []
    if flooder:
        clients = [running.client(flooder) for _ in range(FLOOD)]
        threads = [threading.Thread(target=lambda c=c: answers.append(ask(c, flooder))) for c in clients]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # the flood is in: bob comes after it
    with running.client("bob") as bob:
        status, first, _ = ask(bob, "bob")
    assert status == 200
    for thread in threads:
        thread.join()
    return first, answers


def measure(extra_args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp, model_server(Path(tmp), extra_args) as model_url:
        workdir = Path(tmp) / "hub"
        workdir.mkdir()
        with hub(workdir, model_url) as running:
            running.add_user("flood")
            running.add_user("student", groups=["students"])
            running.add_user("bob")
            with running.client("bob") as bob:
                whole = ask(bob, "bob")[2]  # warm the model server; the whole answer's length
            firsts: dict[str, list[float]] = {"alone": [], "flood": [], "student": []}
            refused, cut = {"flood": 0, "student": 0}, {"flood": 0, "student": 0}
            for _ in range(3):
                firsts["alone"].append(behind(running, None)[0])
                for flooder in ("flood", "student"):
                    first, answers = behind(running, flooder)
                    firsts[flooder].append(first)
                    refused[flooder] += sum(1 for a in answers if a[0] == 429)
                    cut[flooder] += sum(1 for a in answers if a[0] == 200 and a[2] < whole)
    print(f"llama-cpp-python server {' '.join(extra_args) or '(defaults)'}: bob's time to first content, "
          f"median of 3 rounds; the flood's answers over the 3 rounds")
    print(f"  alone:                                      {statistics.median(firsts['alone']):6.2f} s")
    for flooder, label in (("flood", "a user with no limit"), ("student", "a student (max_streams 2)")):
        print(f"  behind {FLOOD} answers of {label:26s} {statistics.median(firsts[flooder]):6.2f} s   "
              f"refused {refused[flooder]}, cut short {cut[flooder]} of {3 * FLOOD}")


def main() -> None:
    print(f"one shared model server answering one request at a time, max_tokens {BODY['max_tokens']}")
    measure([])
    measure(["--interrupt_requests", "False"])


if __name__ == "__main__":
    main()
