"""Upload, read (SSE and text), replay, delete and media over real HTTP on a real Jupyter server."""

from __future__ import annotations

import json

import pytest
from bucket_docs import make_docx, make_pdf, make_zip, sse_events
from forms import multipart

from g4f_jupyter.store.layout import bucket_dir, media_dir

PDF_FACT = "The lighthouse keeper counted 412 gulls on Tuesday."
DOCX_FACT = "Marigold tea must steep for exactly seven minutes."
HTML_FACT = "The ferry leaves the harbour at dawn."
ZIP_FACT = "The archived ledger balances to 88 crowns."


def _documents() -> list[tuple[str, bytes]]:
    return [
        ("report.pdf", make_pdf("Quarterly notes.", PDF_FACT)),
        ("recipe.docx", make_docx("Recipe", DOCX_FACT)),
        ("page.html", f"<html><head><script>var x=1;</script></head><body><p>{HTML_FACT}</p></body></html>".encode()),
        ("ledger.zip", make_zip({"books/ledger.txt": ZIP_FACT.encode()})),
        ("photo.png", b"\x89PNG\r\n\x1a\nnot-really"),
        ("setup.exe", b"MZ\x90\x00"),
    ]


@pytest.mark.asyncio
async def test_bucket_upload_sse_read_then_plain_replay(fetch, upload) -> None:
    response = await upload("docs1", _documents())
    answer = json.loads(response.body)
    assert answer["bucket_id"] == "docs1"
    assert answer["files"] == ["report.pdf", "recipe.docx", "page.html", "ledger.zip"]
    assert answer["media"] == ["photo.png"]
    assert answer["rejected"] == [{"name": "setup.exe", "reason": "unsupported file type .exe"}]

    sse = await fetch("backend-api/v2/files/docs1", headers={"Accept": "text/event-stream"})
    assert sse.headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(sse.body)
    loads = [e["size"] for e in events if e.get("action") == "load"]
    assert len(loads) >= 4 and loads == sorted(loads)  # one per file at least, growing
    assert not any(e.get("action") == "media" for e in events)  # an uploaded image has no text to read
    assert events[-2:] == [{"action": "delete_files"}, {"action": "done", "size": loads[-1]}]
    assert not any("error" in e for e in events)
    # delete_files defaults to true: the sources are gone, the cache stays.
    assert not (bucket_dir("docs1") / "report.pdf").exists()
    assert (bucket_dir("docs1") / "plain.cache").is_file()

    text = (await fetch("backend-api/v2/files/docs1")).body.decode()
    for fact in (PDF_FACT, DOCX_FACT, HTML_FACT, ZIP_FACT):
        assert fact in text
    assert "```report.pdf\n" in text and "```ledger.zip/books/ledger.txt\n" in text
    assert "var x" not in text and "data:" not in text  # no script, no SSE lines in text mode
    assert len(text.encode()) == loads[-1]


@pytest.mark.asyncio
async def test_bucket_stream_route_and_text_mode_has_no_media_event(fetch, upload) -> None:
    await upload("docs2", [("notes.md", b"# Notes\nThe kettle whistles twice."), ("song.mp3", b"ID3fake")])
    assert (bucket_dir("docs2") / "files.txt").read_text() == "notes.md\n"  # media are kept, not listed to read
    response = await fetch("backend-api/v2/files/docs2?delete_files=false")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.body.decode()
    assert "The kettle whistles twice." in text
    assert "media" not in text  # upstream leaked an SSE media line into text/plain
    assert (bucket_dir("docs2") / "notes.md").is_file()  # delete_files=false really keeps the sources
    events = sse_events((await fetch("backend-api/v2/files/docs2/stream")).body)
    assert events[-1]["action"] == "done" and events[-1]["size"] == len(text.encode())


@pytest.mark.asyncio
async def test_bucket_unreadable_file_is_named_and_the_rest_continue(fetch, upload) -> None:
    await upload("docs4", [("broken.pdf", b"%PDF-1.4 this is not a pdf"), ("good.txt", b"Still readable.")])
    events = sse_events((await fetch("backend-api/v2/files/docs4/stream?delete_files=0")).body)
    errors = [e["error"]["message"] for e in events if "error" in e]
    assert len(errors) == 1 and errors[0].startswith("broken.pdf: ")
    assert events[-1]["action"] == "done"
    text = (await fetch("backend-api/v2/files/docs4")).body.decode()
    assert "Still readable." in text and "[error: could not read broken.pdf" in text


@pytest.mark.asyncio
async def test_bucket_delete_twice_and_missing_bucket(fetch, upload) -> None:
    await upload("docs5", [("a.txt", b"alpha")])
    info = json.loads((await fetch("backend-api/v2/files/docs5", method="DELETE")).body)
    assert info == {"message": "Bucket deleted successfully"}
    assert not bucket_dir("docs5").exists()
    for method in ("DELETE", "GET"):
        response = await fetch("backend-api/v2/files/docs5", method=method)
        assert response.code == 404
        assert "not found" in json.loads(response.body)["error"]["message"]


@pytest.mark.asyncio
@pytest.mark.parametrize("bucket", ["..%2Fx", "%2e%2e", "a%00b", ".hidden", "a%20b%2F..%2F..%2Fetc"])
async def test_bucket_hostile_ids_are_400(fetch, bucket, g4f_data_dir) -> None:
    for method in ("GET", "DELETE"):
        response = await fetch(f"backend-api/v2/files/{bucket}", method=method)
        assert response.code == 400, (bucket, method, response.code)
        assert "invalid bucket id" in json.loads(response.body)["error"]["message"]
    body, headers = multipart([("files", "a.txt", b"hi")])
    response = await fetch(f"backend-api/v2/files/{bucket}", method="POST", body=body, headers=headers)
    assert response.code == 400
    assert list(g4f_data_dir.rglob("a.txt")) == []
    buckets = g4f_data_dir / "buckets"
    assert not buckets.exists() or list(buckets.iterdir()) == []


@pytest.mark.asyncio
async def test_bucket_media_is_served_with_head_etag_and_ranges(fetch, upload) -> None:
    video = bytes(range(256)) * 400  # 100 KiB standing in for a clip the page seeks in
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    await upload("pics", [("cat.png", png), ("clip.mp4", video)])
    served = await fetch("files/pics/media/cat.png")
    assert served.body == png and served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert (await fetch("files/pics/thumbnail/cat.png")).body == png  # the current client asks for thumbnails

    head = await fetch("files/pics/media/clip.mp4", method="HEAD")
    assert head.code == 200 and head.body == b"" and head.headers["Content-Length"] == str(len(video))
    assert head.headers["Content-Type"] == "video/mp4" and head.headers["Accept-Ranges"] == "bytes"
    etag = head.headers["Etag"]
    assert (await fetch("files/pics/media/clip.mp4", headers={"If-None-Match": etag})).code == 304

    part = await fetch("files/pics/media/clip.mp4", headers={"Range": "bytes=1000-1999"})
    assert part.code == 206 and part.body == video[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(video)}"
    tail = await fetch("files/pics/media/clip.mp4", headers={"Range": "bytes=-100"})
    assert tail.code == 206 and tail.body == video[-100:]
    assert (await fetch("files/pics/media/clip.mp4", headers={"Range": f"bytes={len(video)}-"})).code == 416

    await upload("pics", [("clip.mp4", video[:5000])])  # replaced under the same name: a new ETag
    again = await fetch("files/pics/media/clip.mp4", headers={"If-None-Match": etag})
    assert again.code == 200 and again.body == video[:5000] and again.headers["Etag"] != etag

    missing = await fetch("files/pics/media/dog.png")
    assert missing.code == 404 and "no media" in json.loads(missing.body)["error"]["message"]
    assert (await fetch("files/..%2Fpics/media/cat.png")).code == 400
    assert (await fetch("files/pics/media/..%2F..%2Fplain.cache")).code == 400
    assert (await fetch("files/pics/other/cat.png")).code == 404


@pytest.mark.asyncio
async def test_bucket_media_fallback_redirects_only_to_the_buckets_own_sources(fetch, upload) -> None:
    source = "https://example.org/dog.png"
    await upload("pics", [("downloads.json", json.dumps([{"url": source}]).encode())])
    moved = await fetch("files/pics/media/dog.png?url=https%3A%2F%2Fexample.org%2Fdog.png")
    assert moved.code == 302 and moved.headers["Location"] == source
    hostile = (
        "https%3A%2F%2Fevil.example%2Fdog.png",  # an open redirect to anywhere
        "https%3A%2F%2Fexample.org%2Fdog.png%0D%0ASet-Cookie%3A%20x%3D1",  # header injection
        "https%3A%2F%2Fexample.org%2Fdog.png%0A",
        "javascript%3Aalert(1)",
        "file%3A%2F%2F%2Fetc%2Fpasswd",
        "%2F%2Fevil.example%2Fx",
    )
    for bad in hostile:
        response = await fetch(f"files/pics/media/dog.png?url={bad}")
        assert response.code == 404, bad
        assert "not one of its sources" in json.loads(response.body)["error"]["message"]
    other = await fetch("files/nobucket/media/dog.png?url=https%3A%2F%2Fexample.org%2Fdog.png")
    assert other.code == 404  # a URL one bucket recorded opens no redirect from another


@pytest.mark.asyncio
async def test_generated_media_are_served_with_ranges_and_found_by_search(fetch) -> None:
    audio = bytes(range(256)) * 64
    (media_dir() / "1700000000_sunset+beach.mp3").write_bytes(audio)
    head = await fetch("media/1700000000_sunset+beach.mp3", method="HEAD")
    assert head.code == 200 and head.headers["Content-Length"] == str(len(audio)) and head.body == b""
    assert head.headers["Content-Type"] == "audio/mpeg"
    part = await fetch("media/1700000000_sunset+beach.mp3", headers={"Range": "bytes=100-199"})
    assert part.code == 206 and part.body == audio[100:200]
    for alias in ("images", "thumbnail"):  # the names other clients use for the same folder
        assert (await fetch(f"{alias}/1700000000_sunset+beach.mp3")).body == audio
    found = await fetch("search/sunset+audio")
    assert found.code == 302 and found.headers["Location"].endswith("/media/1700000000_sunset%2Bbeach.mp3")
    missing = await fetch("media/none.png")
    assert missing.code == 404 and "no media" in json.loads(missing.body)["error"]["message"]
