"""Zip uploads: hostile member names, zip bombs, nested archives and media members."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import pytest
from bucket_docs import make_docx, make_zip

from g4f_jupyter.service.buckets import Progress, TextChunk, ingest, upload_files
from g4f_jupyter.service.buckets.archive import ArchiveGuard, UnsafeArchive
from g4f_jupyter.service.buckets.limits import ArchiveLimits, ReadBudget
from g4f_jupyter.store.layout import bucket_dir


async def _read(bucket: str) -> tuple[str, list[dict]]:
    text, events = [], []
    async for item in ingest(bucket, delete_files=False):
        if isinstance(item, TextChunk):
            text.append(item.text)
        else:
            assert isinstance(item, Progress)
            events.append(item.data)
    return "".join(text), events


@pytest.mark.asyncio
async def test_bucket_zip_hostile_members_are_refused_and_the_rest_read(g4f_data_dir, tmp_path) -> None:
    archive = make_zip(
        {
            "../escape.txt": b"ESCAPED-1",
            "/etc/absolute.txt": b"ESCAPED-2",
            "docs/../../up.txt": b"ESCAPED-3",
            "C:/windows.txt": b"ESCAPED-4",
            "docs/good.txt": b"The good member is read.",
            "docs/brief.docx": make_docx("Nested document sentence."),
            "pics/dot.png": b"\x89PNG-member",
        }
    )
    upload_files("zips", [("bundle.zip", archive)])
    text, events = await _read("zips")
    assert "The good member is read." in text and "Nested document sentence." in text
    refused = [e["error"]["message"] for e in events if "error" in e]
    assert len(refused) == 4 and all("unsafe member name refused" in m for m in refused)
    assert "ESCAPED" not in text
    assert {"action": "media", "filename": "dot.png"} in events
    assert (bucket_dir("zips") / "media" / "dot.png").read_bytes() == b"\x89PNG-member"
    # nothing was written anywhere but the bucket
    stray = [p for p in g4f_data_dir.parent.rglob("*.txt") if "ESCAPED" in p.read_text(errors="ignore")]
    assert stray == []


@pytest.mark.asyncio
async def test_bucket_zip_bomb_is_refused_as_a_whole() -> None:
    bomb = make_zip({"zeros.txt": b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 200_000
    upload_files("bombs", [("bomb.zip", bomb), ("fine.txt", b"Fine text survives.")])
    text, events = await _read("bombs")
    errors = [e["error"]["message"] for e in events if "error" in e]
    assert len(errors) == 1 and "zip bomb" in errors[0] and errors[0].startswith("bomb.zip: archive refused")
    assert "Fine text survives." in text and events[-1]["action"] == "done"


def walk_zip(name: str, source: io.BytesIO, limits: ArchiveLimits | None = None) -> list:
    """The members, text ones read as they come (their stream closes when the walk moves on)."""
    members = ArchiveGuard(ReadBudget(10**9), limits).walk(name, source)
    return [replace(m, data=m.stream.read(), stream=None) if m.stream else m for m in members]


def test_bucket_zip_limits_entries_total_depth_and_lying_headers() -> None:
    many = make_zip({f"f{i}.txt": b"x" for i in range(30)})
    with pytest.raises(UnsafeArchive, match="30 entries"):
        list(walk_zip("many.zip", io.BytesIO(many), ArchiveLimits(max_entries=20)))
    big = make_zip({"a.txt": b"a" * 5000, "b.txt": b"b" * 5000}, zipfile.ZIP_STORED)
    with pytest.raises(UnsafeArchive, match="uncompressed"):
        list(walk_zip("big.zip", io.BytesIO(big), ArchiveLimits(max_total_bytes=8000)))
    nested = make_zip({"inner.zip": make_zip({"deep.zip": make_zip({"x.txt": b"deep"})})})
    members = list(walk_zip("outer.zip", io.BytesIO(nested), ArchiveLimits(max_depth=2)))
    assert [(m.kind, m.name) for m in members] == [("error", "outer.zip/inner.zip/deep.zip")]
    assert "nested deeper" in members[0].reason
    ok = list(walk_zip("outer.zip", io.BytesIO(nested)))
    assert [(m.kind, m.name, m.data) for m in ok] == [("document", "outer.zip/inner.zip/deep.zip/x.txt", b"deep")]
    lying = bytearray(make_zip({"a.txt": b"x" * 100_000}))
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # declare 10 bytes uncompressed
        at = lying.find(signature)
        lying[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    with pytest.raises(zipfile.BadZipFile, match="CRC"):  # inflated only as far as declared, then refused
        walk_zip("lying.zip", io.BytesIO(bytes(lying)))
    with pytest.raises(UnsafeArchive, match="not a readable zip"):
        list(walk_zip("junk.zip", io.BytesIO(b"PK but not really")))


def _prose(seed: int, size: int) -> bytes:
    """Text that compresses like prose (about 3x), so no ratio check refuses it."""
    import random

    words = ["harbour", "lantern", "ledger", "saffron", "kettle", "gull", "ferry", "orchard", "meadow", "quarry"]
    chooser = random.Random(seed)
    return " ".join(chooser.choice(words) + str(chooser.randrange(1000)) for _ in range(size // 8)).encode()[:size]


@pytest.mark.asyncio
async def test_one_budget_for_every_archive_and_media_of_a_read(monkeypatch) -> None:
    monkeypatch.setenv("G4F_JUPYTER_MAX_BUCKET_BYTES", str(3 * 1024 * 1024))
    archives = [
        (f"part{i}.zip", make_zip({f"text{i}.txt": _prose(i, 1_200_000), f"pic{i}.png": _prose(10 + i, 300_000)}))
        for i in range(3)
    ]
    upload_files("budget", archives)
    text, events = await _read("budget")
    errors = [e["error"]["message"] for e in events if "error" in e]
    assert errors and all("bucket limit" in m or "may still produce" in m for m in errors), errors
    saved = sum(p.stat().st_size for p in (bucket_dir("budget") / "media").iterdir())
    assert len(text.encode()) + saved <= 3 * 1024 * 1024 + 64 * 1024  # the first archives fit, the rest do not
    assert "text0.txt" in text and saved >= 300_000  # media inside zips are counted, not skipped
    assert events[-1]["action"] == "done"
