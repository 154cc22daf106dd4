"""Listing and searching 1,000 saved chats through a real server, against reading the files directly.

A real ``jupyter server`` with the extension (its own process) serves a data directory holding
``--chats`` saved chats (10 turns, ~8 KB each). This process is the client, on one keep-alive
connection. It measures ``GET backend-api/v2/conversations`` the first time (every file read),
then again (p50/p99), a search over all message text, the listing right after another process
rewrote one chat, and ``GET /version`` (the route floor). In the same run, the direct path
reads and parses every file and sorts the summaries in this process, as a store without the
server's per-file index would on every listing. The server's RSS is read before the first
listing and after the last (what the index keeps).

    flock /tmp/g4f-cpu.lock .venv/bin/python benchmarks/bench_conversations.py [--chats 1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_relay import free_port, proc_stat, start_server

V2 = "/backend-api/v2"
WORDS = ["wind", "tide", "harbour", "rope", "sail", "mast", "keel", "anchor", "lantern", "gull", "storm", "reef"]


def chat(index: int) -> dict[str, Any]:
    """A 10-turn chat of ~8 KB; chat 500 alone mentions "albatross"."""
    items = []
    for turn in range(10):
        words = [WORDS[(index + turn + k) % len(WORDS)] for k in range(130)]
        if index == 500 and turn == 7:
            words[60] = "albatross"
        items.append({"role": "user" if turn % 2 == 0 else "assistant", "content": " ".join(words)})
    stamp = 1_700_000_000_000 + index * 1000
    return {"id": f"chat-{index:04d}", "title": f"Voyage {index}", "added": stamp, "updated": stamp, "items": items}


def seed(data: Path, count: int) -> int:
    """Write the chats through the store (as the page and the widgets do); their total size in bytes."""
    os.environ["G4F_JUPYTER_DATA_DIR"] = str(data)
    from g4f_jupyter.service.conversations import save_conversation

    for index in range(count):
        save_conversation(f"chat-{index:04d}", chat(index))
    return sum(p.stat().st_size for p in (data / "conversations").glob("*.json"))


def direct_listing(folder: Path) -> list[dict[str, Any]]:
    """What a listing costs without an index: read and parse every chat, summarise, sort."""
    summaries = []
    for path in folder.glob("*.json"):
        data = json.loads(path.read_bytes())
        first = next((i["content"] for i in data["items"] if i["role"] == "user"), "")
        summaries.append({"id": data["id"], "title": data["title"], "updated": data["updated"],
                          "messages": len(data["items"]), "preview": " ".join(first.split())[:120]})
    summaries.sort(key=lambda s: -s["updated"])
    return summaries[:50]


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"token {token}"}

    def get(self, path: str) -> tuple[float, Any]:
        """(milliseconds, decoded JSON) of one GET."""
        start = time.perf_counter()
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status == 200, (response.status, body[:200])
        return elapsed, json.loads(body)

    def times(self, path: str, rounds: int) -> list[float]:
        return [self.get(path)[0] for _ in range(rounds)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-conversations-") as tmp:
        root = Path(tmp)
        size = seed(root / "data", args.chats)
        port, token = free_port(), secrets.token_hex(16)
        server = start_server(root, port, token)
        try:
            client = Client(port, token)
            client.times(f"{V2}/version", 5)  # connection and handler warm-up
            rss_before = proc_stat(server.pid)[1]
            cold, first = client.get(f"{V2}/conversations")
            assert first["total"] == args.chats and first["conversations"][0]["id"] == f"chat-{args.chats - 1:04d}"
            warm = client.times(f"{V2}/conversations", args.rounds)
            found = client.get(f"{V2}/conversations?search=ALBATROSS")[1]
            assert [c["id"] for c in found["conversations"]] == ["chat-0500"]
            search = client.times(f"{V2}/conversations?search=albatross", args.rounds)
            version = client.times(f"{V2}/version", args.rounds)
            direct = []
            for _ in range(max(5, args.rounds // 5)):
                start = time.perf_counter()
                direct_listing(root / "data" / "conversations")
                direct.append((time.perf_counter() - start) * 1000)
            rewrite = []
            for index in range(5):  # another process (a kernel) saves a chat: the listing re-reads that file only
                script = (
                    "from g4f_jupyter.service.conversations import rename_conversation as r\n"
                    f"r('chat-{index:04d}', {{'title': 'Renamed {index}'}})"
                )
                subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ})
                elapsed, listing = client.get(f"{V2}/conversations")
                assert listing["conversations"][0]["title"] == f"Renamed {index}"
                rewrite.append(elapsed)
            rss_after = proc_stat(server.pid)[1]
        finally:
            server.terminate()
            server.wait(timeout=30)

    d50, w50 = statistics.median(direct), statistics.median(warm)
    print(f"{args.chats} chats, {size / 2**20:.1f} MiB on disk; {args.rounds} requests per row; ms")
    print(f"{'':44} {'p50':>8} {'p99':>8}")
    print(f"{'GET conversations, first (reads every file)':44} {cold:8.1f}")
    print(f"{'GET conversations (newest 50)':44} {w50:8.2f} {pct(warm, 0.99):8.2f}")
    s50, s99 = statistics.median(search), pct(search, 0.99)
    print(f"{'GET conversations?search= (all message text)':44} {s50:8.2f} {s99:8.2f}")
    print(f"{'GET conversations after another process saved':44} {statistics.median(rewrite):8.2f} {max(rewrite):8.2f}")
    print(f"{'GET version (route floor)':44} {statistics.median(version):8.2f} {pct(version, 0.99):8.2f}")
    print(f"{'direct: read + parse every file, sort':44} {d50:8.2f} {max(direct):8.2f}")
    print(f"listing through the server / direct read of the files: {w50 / d50:.3f}x")
    print(f"server RSS: {rss_before / 2**20:.1f} MiB before the first listing, {rss_after / 2**20:.1f} MiB after "
          f"(+{(rss_after - rss_before) / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
