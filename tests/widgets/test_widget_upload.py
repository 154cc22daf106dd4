"""The bucket upload widget driven through its FileUpload, buttons and progress bar."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timezone

import pytest
from PIL import Image

from g4f_jupyter.errors import NotFoundError
from g4f_jupyter.service.buckets import bucket_info, ground_messages
from g4f_jupyter.widgets import BucketUploadWidget, ChatWidget

FACT = "The lighthouse keeper of Varnholm island is named Ottoline Quexby."


def _picked(*files: tuple[str, str, bytes]) -> tuple[dict, ...]:
    """The FileUpload value as ipywidgets 8 holds it after a browser upload."""
    now = datetime.now(timezone.utc)
    return tuple(
        {"name": name, "type": mime, "size": len(data), "content": memoryview(data), "last_modified": now}
        for name, mime, data in files
    )


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.asyncio
async def test_picked_files_are_read_with_progress_listed_and_ground_the_chat() -> None:
    chat = ChatWidget()
    upload = BucketUploadWidget(chat=chat)
    progress: list[float] = []
    upload.progress.observe(lambda change: progress.append(change["new"]), names="value")
    notes = ("\n".join(f"Line {i}: the harbour logs are quiet." for i in range(200)) + "\n" + FACT + "\n").encode()
    upload.picker.value = _picked(
        ("notes.txt", "text/plain", notes),
        ("red.png", "image/png", _png()),
        ("setup.exe", "application/octet-stream", b"MZ\x90\x00"),
    )
    await asyncio.wait_for(upload.task, 60)

    assert len(upload.picker.value) == 3  # the button reads "Add files (3)", not "(0)", after the upload
    assert progress[-1] == 100.0 and upload.progress.bar_style == "success"
    assert upload.progress_text.value.startswith("100% · ") and upload.progress_text.value.endswith("KB of text")
    assert "Ready" in upload.status.value
    shown = upload.status.value + upload.files.value + upload.progress_text.value + upload.rejected.value
    assert upload.bucket_id not in shown  # a generated id means nothing to a reader
    assert "notes.txt" in upload.files.value and "KB" in upload.files.value
    assert "red.png" in upload.files.value and "media" in upload.files.value
    assert "setup.exe" in upload.rejected.value and "unsupported file type .exe" in upload.rejected.value
    (thumbnail,) = upload.thumbnails.children
    assert thumbnail.format == "png" and bytes(thumbnail.value) == _png()
    # the chat is now grounded in the bucket: its next request expands to the bucket's text
    assert chat.bucket_id == upload.bucket_id
    grounded, _ = await ground_messages(chat._messages("Who keeps the Varnholm lighthouse?", []))
    assert FACT in str(grounded[-1]["content"])


@pytest.mark.asyncio
async def test_only_rejected_files_show_reasons_and_nothing_is_read() -> None:
    upload = BucketUploadWidget()
    upload.picker.value = _picked(
        ("installer.exe", "application/octet-stream", b"MZ"), ("archive.rar", "application/x-rar", b"Rar!")
    )
    await asyncio.wait_for(upload.task, 30)
    assert "installer.exe" in upload.rejected.value and "archive.rar" in upload.rejected.value
    assert "No file could be added" in upload.status.value
    assert upload.progress.value == 0
    with pytest.raises(NotFoundError):
        bucket_info(upload.bucket_id)  # a refused upload leaves no bucket behind


@pytest.mark.asyncio
async def test_the_operators_upload_limits_apply(monkeypatch) -> None:
    monkeypatch.setenv("G4F_JUPYTER_MAX_FILE_BYTES", "1000")  # as the server exports it to its kernels
    upload = BucketUploadWidget()
    await asyncio.wait_for(upload.upload([("big.txt", b"x" * 1001)]), 30)
    assert "Upload refused" in upload.status.value and "over the limit of 1000" in upload.status.value
    assert upload.progress.bar_style == "danger"
    await asyncio.wait_for(upload.upload([("small.txt", b"x" * 1000)]), 30)
    assert "Ready" in upload.status.value


@pytest.mark.asyncio
async def test_delete_button_removes_the_bucket() -> None:
    upload = BucketUploadWidget(bucket_id="to-delete")
    await asyncio.wait_for(upload.upload([("a.md", b"# Title\nsome text\n")]), 30)
    assert bucket_info("to-delete")["bucket_id"] == "to-delete"
    upload.delete_button.click()
    assert "Deleted bucket “to-delete”" in upload.status.value
    assert upload.files.value == "" and upload.progress.value == 0 and upload.picker.value == ()
    with pytest.raises(NotFoundError):
        bucket_info("to-delete")
    upload.delete_button.click()  # a second delete explains instead of crashing
    assert "Could not delete" in upload.status.value


def test_bad_bucket_id_is_refused() -> None:
    with pytest.raises(Exception, match="invalid bucket id"):
        BucketUploadWidget(bucket_id="../../etc")


@pytest.mark.asyncio
async def test_a_file_that_cannot_be_read_is_listed_and_the_others_are_read() -> None:
    upload = BucketUploadWidget()
    task = upload.upload([("broken.pdf", b"this is not a PDF"), ("fine.txt", FACT.encode())])
    await asyncio.wait_for(task, 30)
    assert "Could not read broken.pdf" in upload.rejected.value
    assert upload.progress.value == 100.0 and "Ready" in upload.status.value
    grounded, _ = await ground_messages(
        [{"role": "user", "content": [{"bucket_id": upload.bucket_id, "url": "/x"}, {"type": "text", "text": "who?"}]}]
    )
    assert FACT in str(grounded[-1]["content"])


@pytest.mark.asyncio
async def test_every_file_added_stays_listed_and_progress_is_in_percent_and_megabytes() -> None:
    upload = BucketUploadWidget(bucket_id="growing")
    await asyncio.wait_for(upload.upload([("first.txt", b"First file.")]), 30)
    big = ("A sentence of a long file. " * 120_000).encode()  # ~3 MiB of text: several progress steps
    seen: list[str] = []
    upload.progress_text.observe(lambda change: seen.append(change["new"]), names="value")
    await asyncio.wait_for(upload.upload([("second.txt", big)]), 60)
    assert "first.txt" in upload.files.value and "second.txt" in upload.files.value
    steps = [text for text in seen if text and not text.startswith(("0%", "100%"))]
    assert steps and all("%" in text and "MB of text" in text for text in steps), seen
    assert seen[-1] == "100% · 3.1 MB of text" and "Ready: 3.1 MB of text in bucket “growing”" in upload.status.value
