"""``/memory/<user_id>``: conversation memory in SQLite FTS5, ranked with BM25.

Replaces upstream's mem0 dependency with the standard library. WAL mode and a busy
timeout let the server and kernels read and write the same database at once.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..core.runner import message_text
from ..store.layout import memory_db
from ..store.paths import safe_name
from .query import MAX_QUERY_INT
from .validation import SafeJson, Text, validate

__all__ = ["MemoryQuery", "add_conversation", "list_memories", "search_memories"]

MAX_PAGE_SIZE = 1000


class MemoryQuery(BaseModel):
    """``GET /memory/<user_id>``: a search, or one page of the list."""

    model_config = ConfigDict(extra="ignore")  # upstream's mem0 ``filters``/``metadata`` have no meaning here

    search: Text = ""
    page: int = Field(1, ge=1, le=MAX_QUERY_INT)
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)


class _Item(BaseModel):
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, SafeJson]

    role: Text
    content: Text | list[dict[Text, SafeJson]] | None = None


class _Conversation(BaseModel):
    """The page's conversation object as ``POST /memory/<user_id>`` takes it (other keys ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: Text | None = None
    items: list[_Item]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memories (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    memory TEXT NOT NULL,
    conversation_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS memories_user ON memories(user_id, conversation_id);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(memory, content='memories', content_rowid='rowid');
CREATE TRIGGER IF NOT EXISTS memories_ai AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, memory) VALUES (new.rowid, new.memory);
END;
CREATE TRIGGER IF NOT EXISTS memories_ad AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, memory) VALUES ('delete', old.rowid, old.memory);
END;
"""


@contextmanager
def _connect() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(memory_db(), timeout=10.0, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_SCHEMA)
        yield conn
    finally:
        conn.close()


def _row(row: sqlite3.Row, score: float | None = None) -> dict[str, Any]:
    item = {
        "id": row["id"],
        "memory": row["memory"],
        "role": row["role"],
        "user_id": row["user_id"],
        "metadata": {"conversation_id": row["conversation_id"]},
        "created_at": row["created_at"],
    }
    if score is not None:
        item["score"] = score
    return item


def add_conversation(user_id: str, conversation: Any) -> int:
    """Store a GUI conversation's items for ``user_id``; posting it again replaces its items."""
    user_id = safe_name(user_id, "user id")
    checked = validate(_Conversation, conversation)
    conversation_id = checked.id
    rows = []
    now = datetime.now(timezone.utc).isoformat()
    for item in checked.items:
        text = message_text(item.model_dump())
        if text.strip():
            rows.append((uuid.uuid4().hex, user_id, item.role, text, conversation_id, now))
    with _connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conversation_id is not None:
                conn.execute(
                "DELETE FROM memories WHERE user_id = ? AND conversation_id = ?", (user_id, conversation_id)
            )
            conn.executemany(
                "INSERT INTO memories (id, user_id, role, memory, conversation_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(rows)


def list_memories(user_id: str, page: int = 1, page_size: int = 100) -> dict[str, Any]:
    """One page of ``user_id``'s memories, oldest first; ``count`` is the total."""
    user_id = safe_name(user_id, "user id")
    with _connect() as conn:
        total = conn.execute("SELECT count(*) FROM memories WHERE user_id = ?", (user_id,)).fetchone()[0]
        rows = conn.execute(
            "SELECT * FROM memories WHERE user_id = ? ORDER BY rowid LIMIT ? OFFSET ?",
            (user_id, page_size, (page - 1) * page_size),
        ).fetchall()
    return {"results": [_row(r) for r in rows], "count": total}


def _match_expression(query: str) -> str:
    """Free text as an FTS5 expression: every word quoted (no operator injection), any may match."""
    words = ["".join(ch for ch in word if ch.isalnum()) for word in query.split()]
    return " OR ".join(f'"{w}"' for w in words if w)


def search_memories(user_id: str, query: str, limit: int = 100) -> dict[str, Any]:
    """``user_id``'s memories matching ``query``, best BM25 score first (higher is better)."""
    user_id = safe_name(user_id, "user id")
    expression = _match_expression(query)
    if not expression:
        return {"results": [], "count": 0}
    with _connect() as conn:
        rows = conn.execute(
            "SELECT m.*, bm25(memories_fts) AS rank FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid"
            " WHERE memories_fts MATCH ? AND m.user_id = ? ORDER BY rank LIMIT ?",
            (expression, user_id, limit),
        ).fetchall()
    results = [_row(r, score=round(-r["rank"], 6)) for r in rows]
    return {"results": results, "count": len(results)}
