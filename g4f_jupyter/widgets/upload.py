"""The bucket upload widget: pick files, watch them being read, then ask questions about them.

Uploading and reading call the bucket service (the same functions as
``POST/GET /backend-api/v2/files/<bucket_id>``); the progress bar follows the same
``load``/``done`` progress events the SSE route sends. Reading runs as a task on the
kernel's loop, so the notebook stays usable meanwhile.
"""

from __future__ import annotations

import asyncio
import html
import uuid
from typing import Any

import ipywidgets as widgets

from ..errors import G4FError
from ..service.buckets import Progress, bucket_info, delete_bucket, ingest, media_path, upload_files, validate_bucket_id
from ._loop import start_task
from ._render import human_size, note_html

__all__ = ["BucketUploadWidget"]

_IMAGE_TYPES = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}


def _media_name(entry: Any) -> str:
    return str(entry.get("name", "")) if isinstance(entry, dict) else str(entry)


class BucketUploadWidget(widgets.VBox):
    """Upload files into bucket ``bucket_id``; pass ``chat`` to ground that chat in it once read."""

    def __init__(self, bucket_id: str | None = None, chat: Any = None) -> None:
        self.bucket_id = validate_bucket_id(bucket_id) if bucket_id else uuid.uuid4().hex
        self.chat = chat
        self.task: asyncio.Task[None] | None = None
        self.result: dict[str, Any] | None = None
        self.picker = widgets.FileUpload(multiple=True, description="Add files")
        self.progress = widgets.FloatProgress(value=0, min=0, max=100, description="Read", bar_style="info")
        self.files = widgets.HTML()
        self.rejected = widgets.HTML()
        self.thumbnails = widgets.HBox()
        self.delete_button = widgets.Button(description="Delete bucket", icon="trash", button_style="danger")
        self.status = widgets.HTML()
        super().__init__(
            [
                widgets.HBox([self.picker, self.delete_button]),
                self.progress,
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
            self.status.value = note_html(f"Could not delete: {exc}", "error")
            return
        self.result = None
        self.files.value = self.rejected.value = ""
        self.thumbnails.children = ()
        self.progress.value = 0
        self.status.value = note_html(f"Bucket {self.bucket_id} deleted.")

    def _on_pick(self, change: dict[str, Any]) -> None:
        picked = change["new"]
        if not picked:
            return
        files = [(str(f["name"]), bytes(f["content"])) for f in picked]
        self.upload(files)
        self.picker.value = ()  # the same files can be picked again

    async def _upload(self, files: list[tuple[str, bytes]], previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        self.progress.value, self.progress.bar_style = 0, "info"
        self.status.value = note_html(f"Uploading {len(files)} file(s)…")
        try:
            result = await asyncio.to_thread(upload_files, self.bucket_id, files)
        except G4FError as exc:
            self.status.value = note_html(f"Upload refused: {exc}", "error")
            self.progress.bar_style = "danger"
            return
        self.result = result
        info = await asyncio.to_thread(bucket_info, self.bucket_id) if result.get("files") or result.get("media") else {}
        sizes = {entry["name"]: int(entry["size"]) for entry in (*info.get("files", ()), *info.get("media", ()))}
        self._show_files(result, sizes, await asyncio.to_thread(self._read_thumbnails, result))
        if not result.get("files") and not result.get("media"):
            self.status.value = note_html("No file could be added to the bucket.", "warning")
            self.progress.bar_style = "warning"
            return
        await self._read(sum(sizes.get(name, 0) for name in result.get("files", ())) or 1)

    async def _read(self, total: int) -> None:
        """Drive the progress bar from the bucket's own progress events.

        A per-file error is listed and reading goes on; only an error without a final
        ``done`` means the read failed.
        """
        self.status.value = note_html("Reading…")
        problems: list[str] = []
        done: int | None = None
        try:
            async for item in ingest(self.bucket_id):
                data = item.data if isinstance(item, Progress) else {}
                if "error" in data:
                    problems.append(str((data["error"] or {}).get("message", "reading failed")))
                elif data.get("action") == "load":
                    self.progress.value = min(99.0, 100.0 * int(data.get("size", 0)) / total)
                elif data.get("action") == "done":
                    done = int(data.get("size", 0))
        except G4FError as exc:
            problems.append(str(exc))
        self.rejected.value += "".join(note_html(f"Could not read {problem}", "warning") for problem in problems)
        if done is None:
            self.status.value = note_html(f"Reading failed: {problems[-1] if problems else 'no result'}", "error")
            self.progress.bar_style = "danger"
            return
        self.progress.value, self.progress.bar_style = 100.0, "success"
        self.status.value = note_html(f"Ready: {human_size(done)} of text in bucket {self.bucket_id}.")
        if self.chat is not None:
            self.chat.attach_bucket(self.bucket_id)

    def _show_files(self, result: dict[str, Any], sizes: dict[str, int], thumbnails: list[tuple[bytes, str]]) -> None:
        media = [_media_name(m) for m in result.get("media", ())]
        rows = [(name, "text") for name in result.get("files", ())] + [(name, "media") for name in media]
        self.files.value = "".join(
            f"<div class='g4f-file'>{html.escape(name)} · {kind} · {human_size(sizes.get(name, 0))}</div>"
            for name, kind in rows
        )
        self.rejected.value = "".join(
            note_html(f"{r.get('name', '?')}: {r.get('reason', 'rejected')}", "warning") for r in result.get("rejected", ())
        )
        self.thumbnails.children = tuple(widgets.Image(value=data, format=kind, width=96) for data, kind in thumbnails)

    def _read_thumbnails(self, result: dict[str, Any]) -> list[tuple[bytes, str]]:
        """The uploaded images' bytes and formats (file reads, so off the kernel loop)."""
        images = []
        for name in (_media_name(m) for m in result.get("media", ())):
            kind = _IMAGE_TYPES.get(name.rsplit(".", 1)[-1].lower())
            if kind:
                images.append((media_path(self.bucket_id, name).read_bytes(), kind))
        return images
