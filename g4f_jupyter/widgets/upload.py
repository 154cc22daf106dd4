"""The bucket upload widget: pick files, watch them being read, then ask questions about them.

Uploading and reading call the bucket service (the same functions as
``POST/GET /backend-api/v2/files/<bucket_id>``), with the operator's upload limits; the
progress bar follows the read's own progress events. Reading runs as a task on the
kernel's loop, so the notebook stays usable meanwhile.
"""

from __future__ import annotations

import asyncio
import html
import uuid
from typing import Any

import ipywidgets as widgets

from ..errors import G4FError
from ..service.buckets import (
    Done,
    Loaded,
    ReadFailed,
    bucket_info,
    delete_bucket,
    ingest,
    media_path,
    upload_files,
    validate_bucket_id,
)
from ._loop import start_task
from ._render import human_size, note_html

__all__ = ["BucketUploadWidget"]

_IMAGE_TYPES = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}


class BucketUploadWidget(widgets.VBox):
    """Upload files into bucket ``bucket_id``; pass ``chat`` to ground that chat in it once read.

    Without ``bucket_id`` a fresh bucket is made; its generated id is never shown (it
    means nothing to a reader), only the name given by the caller.
    """

    def __init__(self, bucket_id: str | None = None, chat: Any = None) -> None:
        self.bucket_id = validate_bucket_id(bucket_id) if bucket_id else uuid.uuid4().hex
        self.label = f"bucket “{bucket_id}”" if bucket_id else "the bucket"
        self.chat = chat
        self.task: asyncio.Task[None] | None = None
        self.result: dict[str, Any] | None = None
        self._listed: dict[str, tuple[str, int]] = {}  # every file added so far: name -> (kind, size)
        # FileUpload shows "<description> (<number of files picked>)": the value is kept until the next
        # pick (clearing it would read "(0)" right after an upload) and cleared when the bucket is deleted.
        self.picker = widgets.FileUpload(multiple=True, description="Add files")
        self.progress = widgets.FloatProgress(value=0, min=0, max=100, description="Read", bar_style="info")
        self.progress_text = widgets.Label()
        self.files = widgets.HTML()
        self.rejected = widgets.HTML()
        self.thumbnails = widgets.HBox()
        self.delete_button = widgets.Button(description="Delete bucket", icon="trash", button_style="danger")
        self.status = widgets.HTML()
        super().__init__(
            [
                widgets.HBox([self.picker, self.delete_button]),
                widgets.HBox([self.progress, self.progress_text]),
                self.files,
                self.thumbnails,
                self.rejected,
                self.status,
            ]
        )
        self.add_class("g4f-bucket-upload")
        self.picker.observe(self._on_pick, names="value")
        self.delete_button.on_click(lambda _: self.delete())

    def upload(self, files: list[tuple[str, bytes]]) -> asyncio.Task[None]:
        """Store ``files`` (name, bytes) and read them into the bucket; returns the reading task."""
        previous = self.task
        self.task = start_task(self._upload(files, previous))
        return self.task

    def delete(self) -> None:
        """Delete the bucket and everything read from it (not while files are still being read into it)."""
        if self.task is not None and not self.task.done():
            self.status.value = note_html("Still reading: delete the bucket once reading has finished.", "warning")
            return
        try:
            delete_bucket(self.bucket_id)
        except G4FError as exc:
            self.status.value = note_html(f"Could not delete {self.label}: {exc}", "error")
            return
        self.result = None
        self._listed.clear()
        self.files.value = self.rejected.value = ""
        self.thumbnails.children = ()
        self.progress.value, self.progress_text.value = 0, ""
        self.picker.value = ()  # the same files may be picked again into the new, empty bucket
        self.status.value = note_html(f"Deleted {self.label} and its text.")

    def _on_pick(self, change: dict[str, Any]) -> None:
        picked = change["new"]
        if picked:
            self.upload([(str(f["name"]), bytes(f["content"])) for f in picked])

    def _show_progress(self, percent: float, read: int) -> None:
        self.progress.value = percent
        self.progress_text.value = f"{percent:.0f}% · {human_size(read)} of text"

    async def _upload(self, files: list[tuple[str, bytes]], previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        self.progress.bar_style = "info"
        self._show_progress(0, 0)
        size = human_size(sum(len(data) for _, data in files))
        self.status.value = note_html(f"Uploading {len(files)} file{'s' if len(files) != 1 else ''} ({size})…")
        try:
            result = await asyncio.to_thread(upload_files, self.bucket_id, list(files))  # the operator's limits
        except G4FError as exc:
            self.status.value = note_html(f"Upload refused: {exc}", "error")
            self.progress.bar_style = "danger"
            return
        self.result = result
        info = await asyncio.to_thread(bucket_info, self.bucket_id) if result["files"] or result["media"] else {}
        sizes = {entry["name"]: int(entry["size"]) for entry in (*info.get("files", ()), *info.get("media", ()))}
        self._show_files(result, sizes, await asyncio.to_thread(self._read_thumbnails, result))
        if not result["files"] and not result["media"]:
            self.status.value = note_html("No file could be added to the bucket.", "warning")
            self.progress.bar_style = "warning"
            return
        await self._read(sum(sizes.get(name, 0) for name in result["files"]) or 1)

    async def _read(self, total: int) -> None:
        """Drive the progress bar from the bucket's own progress events.

        A per-file error is listed and reading goes on; only an error without a final
        ``Done`` means the read failed. The percentage is of the uploaded documents' bytes
        (the text is usually smaller than its PDF), so it stops short of 100 until done.
        """
        self.status.value = note_html("Reading…")
        problems: list[str] = []
        done: Done | None = None
        try:
            async for item in ingest(self.bucket_id):
                if isinstance(item, ReadFailed):
                    problems.append(item.message)
                elif isinstance(item, Loaded):
                    self._show_progress(min(99.0, 100.0 * item.size / total), item.size)
                elif isinstance(item, Done):
                    done = item
        except G4FError as exc:
            problems.append(str(exc))
        self.rejected.value += "".join(note_html(f"Could not read {problem}", "warning") for problem in problems)
        if done is None:
            self.status.value = note_html(f"Reading failed: {problems[-1] if problems else 'no result'}", "error")
            self.progress.bar_style = "danger"
            return
        self.progress.bar_style = "success"
        self._show_progress(100.0, done.size)
        self.status.value = note_html(f"Ready: {human_size(done.size)} of text in {self.label}.")
        if self.chat is not None:
            self.chat.attach_bucket(self.bucket_id)

    def _show_files(self, result: dict[str, Any], sizes: dict[str, int], thumbnails: list[tuple[bytes, str]]) -> None:
        for kind, names in (("text", result["files"]), ("media", result["media"])):
            self._listed.update((name, (kind, sizes.get(name, 0))) for name in names)
        self.files.value = "".join(
            f"<div class='g4f-file'>{html.escape(name)} · {kind} · {human_size(size)}</div>"
            for name, (kind, size) in self._listed.items()
        )
        self.rejected.value = "".join(
            note_html(f"{r.get('name', '?')}: {r.get('reason', 'rejected')}", "warning") for r in result["rejected"]
        )
        self.thumbnails.children = tuple(widgets.Image(value=data, format=kind, width=96) for data, kind in thumbnails)

    def _read_thumbnails(self, result: dict[str, Any]) -> list[tuple[bytes, str]]:
        """The uploaded images' bytes and formats (file reads, so off the kernel loop)."""
        images = []
        for name in result["media"]:
            kind = _IMAGE_TYPES.get(name.rsplit(".", 1)[-1].lower())
            if kind:
                images.append((media_path(self.bucket_id, name).read_bytes(), kind))
        return images
