"""Uploads into a bucket: classify, enforce limits, write each file atomically.

Every file is first staged in a hidden temporary file beside its destination; only
when the whole request is within the limits are they renamed into place and the
documents listed in ``files.txt`` (merged, so concurrent uploads to one bucket never
lose each other's entries). Media are kept in ``media/`` but never listed: there is no
text to read from them. A refused request leaves nothing behind. File parts may be
bytes (the widget) or files on disk (the HTTP route spools its body), copied in blocks.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ...errors import BadRequestError, PayloadTooLargeError
from ...store.atomic import AtomicFile
from ..settings import UploadLimits, current_settings
from .contents import bucket_size
from .jobs import add_jobs, parse_jobs
from .layout import DOWNLOADS_JSON, RESERVED, Bucket, open_bucket
from .limits import FilePart, check_upload_limits
from .locks import index_lock
from .names import classify, clean_filename, extension
from .pending import add_pending

__all__ = ["upload_files"]

_COPY_BLOCK = 1024 * 1024


def _stage(dest: Path, content: bytes | Path) -> AtomicFile:
    staged = AtomicFile(dest)
    try:
        if isinstance(content, Path):
            with content.open("rb") as source:
                while block := source.read(_COPY_BLOCK):
                    staged.write(block)
        else:
            staged.write(content)
    except BaseException:
        staged.discard()
        raise
    return staged


def _read_small(content: bytes | Path) -> bytes:
    return content.read_bytes() if isinstance(content, Path) else content


def _check_sizes(bucket: Bucket, staged: list[AtomicFile], limits: UploadLimits) -> None:
    replaced = sum(f.path.stat().st_size for f in staged if f.path.is_file())
    total = bucket_size(bucket) - replaced + sum(f.size for f in staged)
    if total > limits.max_bucket_bytes:
        raise PayloadTooLargeError(f"bucket {bucket.id!r} would hold {total} bytes, over {limits.max_bucket_bytes}")


Accepted = list[tuple[str, str, bytes | Path]]  # (clean name, kind, content)


def _sort(files: list[FilePart]) -> tuple[Accepted, list[dict[str, Any]], list[dict[str, str]]]:
    """Accepted files, download jobs, and rejected ``{"name", "reason"}``."""
    accepted: Accepted = []
    jobs: list[dict[str, Any]] = []
    rejected: list[dict[str, str]] = []
    for raw_name, content in files:
        try:
            name = clean_filename(raw_name)
        except BadRequestError:
            rejected.append({"name": raw_name, "reason": "invalid file name"})
            continue
        kind = classify(name)
        if name == DOWNLOADS_JSON:
            jobs.extend(parse_jobs(_read_small(content)))
        elif name in RESERVED:
            rejected.append({"name": raw_name, "reason": f"{name!r} is a reserved name"})
        elif kind is None:
            ext = extension(name)
            kind_text = f".{ext}" if ext else "(no extension)"
            rejected.append({"name": raw_name, "reason": f"unsupported file type {kind_text}"})
        else:
            accepted.append((name, kind, content))
    return accepted, jobs, rejected


def upload_files(bucket_id: str, files: list[FilePart], limits: UploadLimits | None = None) -> dict[str, Any]:
    """Store ``(file name, bytes or path)`` pairs in a bucket (created if needed).

    ``limits`` default to the operator's. Returns ``{"bucket_id", "files", "media",
    "rejected": [{"name", "reason"}]}``. Raises :class:`PayloadTooLargeError` (413) over a
    limit, writing nothing.
    """
    limits = limits or current_settings().upload_limits()
    bucket = open_bucket(bucket_id)
    if not files:
        raise BadRequestError("no files in the upload (multipart field 'files')")
    check_upload_limits(files, limits)
    accepted, jobs, rejected = _sort(files)
    staged: list[AtomicFile] = []
    created = not bucket.dir.exists()
    try:
        for name, _kind, content in accepted:
            staged.append(_stage(bucket.source(name), content))
        with index_lock(bucket):
            _check_sizes(bucket, staged, limits)
            for file in staged:
                file.commit()
            add_pending(bucket, [name for name, kind, _ in accepted if kind == "document"])
            if jobs:
                add_jobs(bucket, jobs)
    finally:
        for file in staged:
            file.discard()  # committed ones are gone already
        if created:  # a refused first upload leaves no empty bucket (rmdir fails on a non-empty one)
            for folder in (bucket.media, bucket.dir):
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return {
        "bucket_id": bucket.id,
        "files": [n for n, k, _ in accepted if k == "document"] + ([DOWNLOADS_JSON] if jobs else []),
        "media": [n for n, k, _ in accepted if k == "media"],
        "rejected": rejected,
    }


