"""Extraction of each supported format, written by the real libraries, plus the cache files."""

from __future__ import annotations

import json

import pytest
from bucket_docs import make_epub, make_odt, make_xlsx

from g4f_jupyter.service.buckets import Progress, TextChunk, bucket_info, delete_bucket, ingest, upload_files
from g4f_jupyter.service.buckets.layout import open_bucket
from g4f_jupyter.service.buckets.pending import pending
from g4f_jupyter.service.buckets.sections import sections
from g4f_jupyter.store.layout import bucket_dir


async def _text(bucket: str, **kwargs) -> str:
    return "".join([i.text async for i in ingest(bucket, **kwargs) if isinstance(i, TextChunk)])


@pytest.mark.asyncio
async def test_bucket_formats_xlsx_odt_epub_and_charsets() -> None:
    upload_files(
        "formats",
        [
            ("prices.xlsx", make_xlsx([["item", "price"], ["saffron", 12.5], ["pepper", 3]])),
            ("letter.odt", make_odt("Dear reader,", "The ODT paragraph survives.")),
            ("novel.epub", make_epub("The EPUB chapter text.")),
            ("legacy.csv", "name;city\nJosé;Málaga\nFrançois;Besançon\n".encode("cp1252")),
            ("data.json", json.dumps({"k": "JSON value"}).encode()),
        ],
    )
    text = await _text("formats", delete_files=False)
    assert "# Prices\nitem\tprice\nsaffron\t12.5\npepper\t3" in text
    assert "Dear reader,\nThe ODT paragraph survives." in text
    assert "Chapter\nThe EPUB chapter text." in text
    assert "José;Málaga" in text and "François;Besançon" in text
    assert '"JSON value"' in text
    for name in ("prices.xlsx", "letter.odt", "novel.epub", "legacy.csv", "data.json"):
        assert f"```{name}\n" in text


@pytest.mark.asyncio
async def test_bucket_cache_index_and_incremental_reads() -> None:
    upload_files("inc", [("one.txt", b"First file.")])
    first = await _text("inc")
    assert first == "```one.txt\nFirst file.\n```\n\n"
    bucket = open_bucket("inc")
    assert bucket.cache.read_text() == first and not bucket.files_txt.exists()
    upload_files("inc", [("two.md", b"Second file.")])
    second = await _text("inc")
    assert second == first + "```two.md\nSecond file.\n```\n\n"  # replay, then the new file
    assert [name for name, _, _ in sections(bucket)] == ["one.txt", "two.md"]
    assert await _text("inc") == second  # a third read only replays
    assert [f["name"] for f in bucket_info("inc")["files"]] == []  # sources deleted by default
    delete_bucket("inc")
    assert not bucket_dir("inc").exists()


@pytest.mark.asyncio
async def test_bucket_interrupted_read_keeps_the_previous_state() -> None:
    upload_files("cut", [("a.txt", b"A" * 200_000), ("b.txt", b"B")])
    stream = ingest("cut")
    first = await anext(stream)
    assert isinstance(first, TextChunk)
    await stream.aclose()  # the client went away mid-read
    bucket = open_bucket("cut")
    assert not bucket.cache.exists() and pending(bucket) == ["a.txt", "b.txt"]
    assert not [p for p in bucket.dir.iterdir() if p.name.endswith(".tmp")]
    assert "B\n```" in await _text("cut")


@pytest.mark.asyncio
async def test_bucket_progress_at_least_every_mebibyte() -> None:
    upload_files("large", [("big.txt", ("word " * 700_000).encode()), ("small.txt", b"tiny")])
    sizes, chunks = [], []
    async for item in ingest("large"):
        if isinstance(item, Progress) and item.data.get("action") == "load":
            sizes.append(item.data["size"])
        elif isinstance(item, TextChunk):
            chunks.append(len(item.text.encode()))
    assert max(chunks) <= 1024 * 1024
    steps = [b - a for a, b in zip([0, *sizes[:-1]], sizes, strict=True)]
    assert len(sizes) >= 5 and all(0 < step <= 1024 * 1024 + 64 * 1024 for step in steps)
    assert sizes[-1] == sum(chunks)
