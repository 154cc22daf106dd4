"""Uploads into a bucket: classify, enforce limits, write each file atomically.

Every file is first written to a hidden temporary file; only when the whole request is
within the limits are they renamed into place and listed in ``files.txt`` (merged, so
concurrent uploads to one bucket never lose each other's entries). A refused request
leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ...errors import BadRequestError, PayloadTooLargeError
from ...store.atomic import atomic_write_json
from .store import (
    DOWNLOADS_JSON,
    RESERVED,
    Bucket,
    UploadLimits,
    bucket_size,
    check_upload_limits,
    classify,
    clean_filename,
    extension,
    open_bucket,
)

__all__ = ["upload_files"]


def _write_temp(folder: Path, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _download_jobs(data: bytes) -> list[Any]:
    try:
        jobs = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("downloads.json is not valid JSON") from None
    jobs = jobs if isinstance(jobs, list) else [jobs]
    if not all(isinstance(j, dict) and ("url" in j or "urls" in j) for j in jobs):
        raise BadRequestError('downloads.json must be a list of {"url": ...} or {"urls": [...]} objects')
    return jobs


def _check_sizes(bucket: Bucket, staged: dict[Path, tuple[Path, int]], limits: UploadLimits) -> None:
    replaced = sum(dest.stat().st_size for dest in staged if dest.is_file())
    total = bucket_size(bucket) - replaced + sum(size for _, size in staged.values())
    if total > limits.max_bucket_bytes:
        raise PayloadTooLargeError(f"bucket {bucket.id!r} would hold {total} bytes, over {limits.max_bucket_bytes}")


def upload_files(bucket_id: str, files: list[tuple[str, bytes]], limits: UploadLimits | None = None) -> dict[str, Any]:
    """Store ``(file name, bytes)`` pairs in a bucket (created if needed).

    Returns ``{"bucket_id", "files", "media", "rejected": [{"name", "reason"}]}``.
    Raises :class:`PayloadTooLargeError` (413) over a limit, writing nothing.
    """
    limits = limits or UploadLimits()
    bucket = open_bucket(bucket_id)
    if not files:
        raise BadRequestError("no files in the upload (multipart field 'files')")
    check_upload_limits(files, limits)
    rejected: list[dict[str, str]] = []
    accepted: list[tuple[str, str, bytes]] = []  # (name, kind, data)
    jobs: list[Any] = []
    for raw_name, data in files:
        try:
            name = clean_filename(raw_name)
        except BadRequestError:
            rejected.append({"name": raw_name, "reason": "invalid file name"})
            continue
        if name == DOWNLOADS_JSON:
            jobs.extend(_download_jobs(data))
            continue
        kind = classify(name)
        if name in RESERVED:
            rejected.append({"name": raw_name, "reason": f"{name!r} is a reserved name"})
        elif kind is None:
            ext = extension(name)
            kind_text = f".{ext}" if ext else "(no extension)"
            rejected.append({"name": raw_name, "reason": f"unsupported file type {kind_text}"})
        else:
            accepted.append((name, kind, data))
    staged: dict[Path, tuple[Path, int]] = {}
    created = not bucket.dir.exists()
    try:
        for name, _kind, data in accepted:
            dest = bucket.source(name)
            staged[dest] = (_write_temp(dest.parent, data), len(data))
        with bucket.lock():
            _check_sizes(bucket, staged, limits)
            for dest, (tmp, _) in staged.items():
                os.replace(tmp, dest)
            if accepted:
                bucket.add_pending(name for name, _, _ in accepted)
            if jobs:
                atomic_write_json(bucket.downloads, [*bucket.jobs(), *jobs])
    finally:
        for tmp, _ in staged.values():
            tmp.unlink(missing_ok=True)  # renamed ones are gone already
        if created and not bucket.files_txt.exists():  # a refused first upload leaves no empty bucket
            for folder in (bucket.media, bucket.dir):
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return {
        "bucket_id": bucket.id,
        "files": [n for n, k, _ in accepted if k == "document"] + ([DOWNLOADS_JSON] if jobs else []),
        "media": [n for n, k, _ in accepted if k == "media"],
        "rejected": rejected,
    }
