"""Download jobs (``downloads.json``) and the bucket's record of every URL it was asked for.

The record (``sources.jsonl``, whole-line appends) outlives the jobs, which a read
consumes: it is what lets ``files/<bucket>/media/<missing>?url=`` redirect to the
bucket's own sources and nowhere else.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from ...errors import BadRequestError
from ...store.atomic import append_jsonl, atomic_write_json
from .layout import Bucket
from .locks import index_lock

__all__ = ["add_jobs", "is_recorded_source", "parse_jobs", "take_jobs"]

_UNSAFE = re.compile(r"[\x00-\x20\x7f]")  # controls and spaces: never in a URL we record or redirect to


def _valid_url(url: object) -> bool:
    if not isinstance(url, str) or len(url) > 4096 or _UNSAFE.search(url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _urls(job: Any) -> list[Any]:
    return list(job["urls"]) if isinstance(job.get("urls"), list) else [job.get("url")]


def parse_jobs(data: bytes) -> list[dict[str, Any]]:
    """The jobs of an uploaded ``downloads.json``, or :class:`BadRequestError` saying what is wrong."""
    try:
        jobs = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequestError("downloads.json is not valid JSON") from None
    jobs = jobs if isinstance(jobs, list) else [jobs]
    if not all(isinstance(j, dict) and ("url" in j or "urls" in j) for j in jobs):
        raise BadRequestError('downloads.json must be a list of {"url": ...} or {"urls": [...]} objects')
    return jobs


def _jobs(bucket: Bucket) -> list[Any]:
    try:
        jobs = json.loads(bucket.downloads.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return jobs if isinstance(jobs, list) else []


def add_jobs(bucket: Bucket, jobs: list[dict[str, Any]]) -> None:
    """Queue ``jobs`` and record their URLs (the caller holds the index lock)."""
    atomic_write_json(bucket.downloads, [*_jobs(bucket), *jobs])
    for job in jobs:
        for url in _urls(job):
            if _valid_url(url):  # the others fail when the read runs them, each with its reason
                append_jsonl(bucket.sources, {"url": url})


def take_jobs(bucket: Bucket) -> list[str]:
    """Every queued URL, removing the queue (a read runs each job once)."""
    with index_lock(bucket):
        jobs = _jobs(bucket)
        bucket.downloads.unlink(missing_ok=True)
    return [u for job in jobs if isinstance(job, dict) for u in _urls(job) if isinstance(u, str)]


def is_recorded_source(bucket: Bucket, url: str) -> bool:
    """Whether the bucket was asked to download ``url`` (a safe http(s) URL)."""
    if not _valid_url(url):
        return False
    try:
        lines = bucket.sources.read_text("utf-8").splitlines()
    except FileNotFoundError:
        return False
    for line in lines:
        try:
            if json.loads(line).get("url") == url:
                return True
        except (ValueError, AttributeError):
            continue
    return False
