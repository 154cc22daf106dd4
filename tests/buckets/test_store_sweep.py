"""Stale temporary files: a writer killed mid-write leaves one; the sweep removes it, never a live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from g4f_jupyter.store.atomic import AtomicFile, atomic_write_text
from g4f_jupyter.store.layout import bucket_dir, media_dir, share_file
from g4f_jupyter.store.sweep import sweep_stale_temp_files

_WRITER = """
import sys, time
from pathlib import Path
from g4f_jupyter.store.atomic import AtomicFile
out = AtomicFile(Path(sys.argv[1]))
out.write(b"half of a file")
out.file.flush()
print(out.temp, flush=True)
time.sleep(600)
"""


def _writer(dest: Path) -> tuple[subprocess.Popen[str], Path]:
    """A real process in the middle of an atomic write to ``dest``; returns it and its temp file."""
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(dest)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, Path(child.stdout.readline().strip())


def _age(path: Path, seconds: float = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_sweep_removes_what_killed_writers_left_and_keeps_live_writes(g4f_data_dir: Path) -> None:
    share = share_file("chat-1")
    atomic_write_text(share, '{"items": []}')
    targets = [share, bucket_dir("b1") / "plain.cache", media_dir() / "cat.png"]
    killed = []
    for dest in targets:
        child, temp = _writer(dest)
        child.send_signal(signal.SIGKILL)
        child.wait()
        _age(temp)
        killed.append(temp)
    alive, alive_temp = _writer(bucket_dir("b2") / "notes.txt")
    in_process = AtomicFile(media_dir() / "dog.png")
    in_process.write(b"still writing")
    fresh_orphan = g4f_data_dir / "usage" / ".fresh.json.abc.tmp"  # too young to judge
    fresh_orphan.parent.mkdir(parents=True)
    fresh_orphan.write_bytes(b"x")
    try:
        for temp in (alive_temp, in_process.temp):
            _age(temp)
        assert all(temp.is_file() for temp in killed)

        assert sweep_stale_temp_files() == len(killed)

        assert not any(temp.exists() for temp in killed)
        assert alive_temp.is_file() and in_process.temp.is_file() and fresh_orphan.is_file()
        assert share.read_text() == '{"items": []}'  # published files are never touched
        in_process.commit()
        assert (media_dir() / "dog.png").read_bytes() == b"still writing"
    finally:
        alive.kill()
        alive.wait()
    _age(alive_temp)
    assert sweep_stale_temp_files() == 1 and not alive_temp.exists()
