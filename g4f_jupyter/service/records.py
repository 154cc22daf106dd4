"""``/usage`` and ``/log``: one JSON line per report in a file per day.

Lines are appended whole under a lock, so the server and kernels can report at once.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..store.atomic import append_jsonl
from ..store.layout import logging_dir, usage_dir
from .validation import json_object

__all__ = ["append_log", "append_usage"]


def day_file(directory: Path, when: datetime | None = None) -> Path:
    """``<directory>/YYYY-MM-DD.jsonl`` for today (UTC, so every process agrees)."""
    day = (when or datetime.now(timezone.utc)).strftime("%Y-%m-%d")
    return directory / f"{day}.jsonl"


def append_usage(body: Any, user: str | None = None) -> None:
    """Record a usage report; ``user`` comes first so the report's own ``user`` wins."""
    append_jsonl(day_file(usage_dir()), {"user": user or "unknown", **json_object(body)})


def append_log(body: Any, origin: str | None = None) -> None:
    """Record a client error report with the page origin it came from."""
    append_jsonl(day_file(logging_dir()), {"origin": origin, **json_object(body)})
