"""Archive bombs of every kind (and a PDF bomb), uploaded and read over HTTP: the server's memory stays bounded.

Measured in a separate ``jupyter server`` process (so the figure is the server's alone):
its peak RSS (VmHWM, reset before each bomb) may rise by less than 64 MiB per bomb,
where an unguarded parser would inflate 100-300 MiB. Classic bombs are refused by the
archive guard; bombs tuned to pass it (a 24 MiB part of prose) are read, by streaming parsers.
"""

from __future__ import annotations

import json
from pathlib import Path

from bombs import BOMBS, TUNED
from bucket_docs import make_docx, make_epub, make_odt, make_pdf, make_xlsx, make_zip, sse_events
from server_process import MiB, ServerProcess, server_process

LIMIT = 64 * MiB


def _upload_and_read(server: ServerProcess, bucket: str, name: str, data: bytes) -> list[dict]:
    with server.client() as client:
        answer = client.post(f"backend-api/v2/files/{bucket}", files=[("files", (name, data))])
        assert answer.status_code == 200, answer.text
        assert json.loads(answer.text)["files"] == [name]
        read = client.get(f"backend-api/v2/files/{bucket}/stream")
    assert read.status_code == 200
    return sse_events(read.content)


def test_every_kind_of_archive_bomb_keeps_the_server_memory_bounded(tmp_path: Path, capsys) -> None:
    bombs = {name: make() for name, make in BOMBS.items()}
    with server_process(tmp_path, tmp_path / "data") as server:
        warm_up = [
            ("a.docx", make_docx("Warm up.")), ("a.xlsx", make_xlsx([["warm", 1]])), ("a.odt", make_odt("Warm up.")),
            ("a.epub", make_epub("Warm up.")), ("a.zip", make_zip({"a.txt": b"Warm up."})), ("a.pdf", make_pdf("Warm")),
        ]
        for name, data in warm_up:  # every parser imported and used once: what remains is the bomb's cost
            events = _upload_and_read(server, "warm", name, data)
            assert events[-1]["action"] == "done" and not any("error" in e for e in events), events
        rises = {}
        for name, data in bombs.items():
            server.reset_peak()
            before = server.rss()
            events = _upload_and_read(server, "bombs", name, data)
            rises[name] = server.peak() - before
            errors = [e["error"]["message"] for e in events if "error" in e]
            assert errors and all("refused" in m or "limit" in m.lower() for m in errors), (name, errors)
            assert events[-1]["action"] == "done", (name, events[-1])
        with server.client() as client:
            text = client.get("backend-api/v2/files/bombs").text
        assert len(text) < 4 * MiB  # error entries, not inflated text
    with capsys.disabled():
        print("\nserver peak RSS rise per bomb (MiB):",
              ", ".join(f"{n} {len(bombs[n]) // 1024} KiB -> {r / MiB:.1f}" for n, r in rises.items()))
    assert all(rise < LIMIT for rise in rises.values()), {n: f"{r / MiB:.1f} MiB" for n, r in rises.items()}


def test_bombs_tuned_to_pass_the_guard_are_read_in_bounded_memory(tmp_path: Path, capsys) -> None:
    bombs = {name: make() for name, make in TUNED.items()}
    with server_process(tmp_path, tmp_path / "data") as server:
        for name, data in (("a.xlsx", make_xlsx([["warm", 1]])), ("a.docx", make_docx("Warm up."))):
            _upload_and_read(server, "warm", name, data)
        rises = {}
        for number, (name, data) in enumerate(bombs.items()):
            server.reset_peak()
            before = server.rss()
            events = _upload_and_read(server, f"tuned{number}", name, data)
            rises[name] = server.peak() - before
            assert not any("error" in e for e in events), (name, events[-3:])
            assert events[-1]["action"] == "done" and events[-1]["size"] > 10 * MiB, (name, events[-1])
    with capsys.disabled():
        print("\nserver peak RSS rise per tuned bomb (MiB):",
              ", ".join(f"{n} {len(bombs[n]) // MiB} MiB -> {r / MiB:.1f}" for n, r in rises.items()))
    assert all(rise < LIMIT for rise in rises.values()), {n: f"{r / MiB:.1f} MiB" for n, r in rises.items()}
