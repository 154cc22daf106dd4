"""A file re-uploaded (or a new one uploaded) over HTTP while the bucket is being read is never lost."""

from __future__ import annotations

import pytest

from g4f_jupyter.service.buckets import TextChunk, ingest
from g4f_jupyter.service.buckets.layout import open_bucket
from g4f_jupyter.service.buckets.sections import sections

OLD = ("An old line of the notes.\n" * 80_000).encode()  # ~2 MiB: the read is mid-way after its first piece
NEW = b"The new version of the notes."
EXTRA = b"A file that arrived during the read."


@pytest.mark.asyncio
@pytest.mark.parametrize("delete_files", [True, False])
async def test_a_reupload_during_a_read_is_read_and_replaces_the_old_text(upload, delete_files: bool) -> None:
    assert (await upload("re", [("notes.txt", OLD)])).code == 200
    stream = ingest("re", delete_files=delete_files)
    first = await anext(stream)  # the read has opened notes.txt and is streaming it
    assert isinstance(first, TextChunk) and first.text.startswith("```notes.txt\n")

    again = await upload("re", [("notes.txt", NEW), ("extra.md", EXTRA)])
    assert again.code == 200  # never refused, never made to wait on the read

    text = first.text + "".join([item.text async for item in stream if isinstance(item, TextChunk)])
    assert NEW.decode() in text and EXTRA.decode() in text  # the read picked both up
    bucket = open_bucket("re")
    cache = bucket.cache.read_text()
    assert NEW.decode() in cache and EXTRA.decode() in cache
    assert "An old line" not in cache  # the re-upload replaced the file's text, once
    assert sorted(name for name, _, _ in sections(bucket)) == ["extra.md", "notes.txt"]
    assert not bucket.files_txt.exists()  # nothing left unread
    kept = (bucket.dir / "notes.txt").exists()
    assert kept is not delete_files
    if kept:
        assert (bucket.dir / "notes.txt").read_bytes() == NEW  # the new file, not the old one
    assert "An old line" not in "".join([i.text async for i in ingest("re") if isinstance(i, TextChunk)])
