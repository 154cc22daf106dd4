"""The hub's table of usage per user: what each user's server reported, per day and provider.

Users' servers run apart (other processes, other pods, other volumes), so the hub cannot read
their records; each server reports its own user's totals instead (:mod:`.usage_report`), and
the hub's usage service keeps them here, in SQLite in its data directory. A report holds the
totals so far of whole days, so a report sent twice, late or out of order changes nothing:
each (user, day, provider) keeps the largest totals reported.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..config import data_dir
from .validation import validate

__all__ = ["Counts", "UsageReport", "store_report", "usage_rows"]

Day = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: int = Field(ge=0, le=10**9)
    tokens: int = Field(ge=0, le=10**15)


class UsageReport(BaseModel):
    """``{"days": {"2025-03-04": {"HubModel": {"requests": 3, "tokens": 159}}}}``: totals per day and provider."""

    model_config = ConfigDict(extra="forbid")

    days: dict[Day, Annotated[dict[Name, Counts], Field(max_length=200)]] = Field(max_length=62)


_SCHEMA = """CREATE TABLE IF NOT EXISTS usage (
    user TEXT NOT NULL, day TEXT NOT NULL, provider TEXT NOT NULL,
    requests INTEGER NOT NULL, tokens INTEGER NOT NULL,
    PRIMARY KEY (user, day, provider))"""


@contextlib.contextmanager
def _database() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(data_dir() / "usage.sqlite3", timeout=30)
    try:
        with connection:  # one transaction: a report is stored whole or not at all
            connection.execute(_SCHEMA)
            yield connection
    finally:
        connection.close()


def store_report(user: str, body: Any) -> int:
    """Keep ``user``'s reported totals (checked: a bad report is a 400 naming the field); returns the rows."""
    report = validate(UsageReport, body)
    rows = [
        (user, day, provider, counts.requests, counts.tokens)
        for day, providers in report.days.items()
        for provider, counts in providers.items()
    ]
    with _database() as db:
        db.executemany(
            "INSERT INTO usage VALUES (?, ?, ?, ?, ?) ON CONFLICT (user, day, provider) DO UPDATE SET"
            " requests = max(requests, excluded.requests), tokens = max(tokens, excluded.tokens)",
            rows,
        )
    return len(rows)


def usage_rows(days: int = 31, today: date | None = None) -> list[dict[str, Any]]:
    """Every (user, day, provider) of the last ``days`` days, newest day first, then by user and provider."""
    since = ((today or datetime.now(timezone.utc).date()) - timedelta(days=days - 1)).isoformat()
    with _database() as db:
        found = db.execute(
            "SELECT user, day, provider, requests, tokens FROM usage WHERE day >= ?"
            " ORDER BY day DESC, user, provider",
            (since,),
        ).fetchall()
    return [dict(zip(("user", "day", "provider", "requests", "tokens"), row, strict=True)) for row in found]
