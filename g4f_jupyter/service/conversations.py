"""Saved chats: one store in the data directory that the page, the Lab panel and the chat widget share.

Each chat is ``conversations/<id>.json``: the conversation object of protocol §5.1 as its
client keeps it (keys this product does not know are kept, so upstream's objects round-trip),
written whole by the one atomic writer, so the server and the kernels read the old chat or the
new one, never a part. Read-modify-write sequences (rename, import, delete) hold the store's
``flock``, which both processes honour.

Listing reads each file once per process: a summary and the searchable text are kept per file
and re-read only when the file's identity (inode, size, mtime) changes, which every atomic
replace does, whichever process wrote it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

from ..core.events import Content, Event, Finish, Reasoning, from_wire
from ..core.runner import message_text
from ..errors import BadRequestError, NotFoundError, PayloadTooLargeError
from ..store.atomic import atomic_write_bytes
from ..store.layout import conversation_file, conversations_dir
from ..store.locks import file_lock
from ..store.paths import safe_name
from .answer import AnswerState
from .query import MAX_QUERY_INT
from .settings import current_settings
from .validation import SafeJson, Text, json_object, parse_json, validate

__all__ = [
    "MAX_PAGE_SIZE",
    "ConversationQuery",
    "answer_of",
    "default_title",
    "delete_conversation",
    "import_conversations",
    "item_text",
    "list_conversations",
    "load_conversation",
    "rename_conversation",
    "save_conversation",
]

MAX_PAGE_SIZE = 1000
MAX_TITLE_LENGTH = 1000
PREVIEW_LENGTH = 120
DEFAULT_TITLE = "New chat"
_TITLE_FROM_TEXT = 60  # characters of the first question that name a chat without a title
_IMPORT_PREFIX = "conversation:"  # how the page's localStorage names a chat
_SUFFIX = ".json"

Stamp = Annotated[StrictInt | StrictFloat, Field(ge=0)]
"""Milliseconds since the epoch (a boolean is not a time)."""

Title = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_LENGTH)]


class _Item(BaseModel):
    """One turn as clients store it; what the product reads is typed, the rest kept as sent."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, SafeJson]

    role: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    content: SafeJson
    provider: dict[Text, SafeJson] | None = None
    usage: dict[Text, SafeJson] | None = None
    reasoning: SafeJson = None
    finish: SafeJson = None


class _Conversation(BaseModel):
    """A conversation object (protocol §5.1); unknown keys are kept as sent."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, SafeJson]

    id: Text | None = None
    title: Annotated[Text, StringConstraints(max_length=MAX_TITLE_LENGTH)] | None = None
    added: Stamp | None = None
    updated: Stamp | None = None
    system: Text | None = None
    items: list[_Item] = []
    data: dict[Text, SafeJson] | None = None
    share: SafeJson = None


class _Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title


class ConversationQuery(BaseModel):
    """``GET conversations``: an optional search over titles and message text, and one page."""

    model_config = ConfigDict(extra="forbid")

    search: Annotated[Text, StringConstraints(max_length=MAX_TITLE_LENGTH)] = ""
    limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_QUERY_INT)


def _now_ms() -> int:
    return int(time.time() * 1000)


def item_text(item: Mapping[str, Any]) -> str:
    """The text of a stored turn, whether its content is a string or a list of parts."""
    return message_text(item)  # type: ignore[arg-type]  # a stored item is a chat message plus extra keys


def default_title(items: list[dict[str, Any]]) -> str:
    """What names a chat that has no title: the first line of its first question."""
    question = next((item_text(item).strip() for item in items if item.get("role") == "user"), "")
    first_line = question.splitlines()[0][:_TITLE_FROM_TEXT].strip() if question else ""
    return first_line or DEFAULT_TITLE


def answer_of(item: Mapping[str, Any]) -> AnswerState:
    """A stored answer folded back into an :class:`AnswerState` (the inverse of ``AnswerState.item``).

    The stored keys go through the wire parser and the one fold, so a reopened chat shows who
    answered, the reasoning and the usage exactly as a live answer does.
    """
    events: list[Event] = []
    if isinstance(item.get("provider"), dict):
        events.append(from_wire({"type": "provider", "provider": item["provider"]}))
    reasoning = item.get("reasoning")
    text = reasoning.get("text") if isinstance(reasoning, dict) else reasoning
    if isinstance(text, str) and text:
        events.append(Reasoning(token=text))
    events.append(Content(item_text(item)))
    if isinstance(item.get("usage"), dict):
        events.append(from_wire({"type": "usage", "usage": item["usage"]}))
    finish = item.get("finish")
    if isinstance(finish, dict) and isinstance(finish.get("reason"), str):
        events.append(Finish(finish["reason"]))
    state = AnswerState()
    for event in events:
        state.apply(event)
    return state


# -- reading ------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any] | None:
    """The stored object, or ``None`` when there is none (or the file was damaged by hand)."""
    try:
        data = pydantic_core.from_json(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_conversation(conversation_id: str) -> dict[str, Any]:
    """The stored conversation object, or a 404."""
    data = _read(conversation_file(conversation_id))
    if data is None:
        raise NotFoundError(f"no saved chat {conversation_id!r}")
    return data


def _stamp(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _summary(conversation_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    items = [item for item in data.get("items") or [] if isinstance(item, dict)]
    first_question = next((item_text(item) for item in items if item.get("role") == "user"), "")
    title = data.get("title")
    return {
        "id": conversation_id,
        "title": title if isinstance(title, str) and title else default_title(items),
        "added": _stamp(data.get("added")),
        "updated": _stamp(data.get("updated")),
        "messages": len(items),
        "preview": " ".join(first_question.split())[:PREVIEW_LENGTH],
    }


def _searchable(data: Mapping[str, Any], title: str) -> str:
    texts = [title, *(item_text(item) for item in data.get("items") or [] if isinstance(item, dict))]
    return "\n".join(texts).casefold()


@dataclass(frozen=True)
class _Indexed:
    identity: tuple[int, int, int]  # inode, size, mtime: a replaced file has a new one
    summary: dict[str, Any]
    text: str  # case-folded title and message text


_index: dict[Path, dict[str, _Indexed]] = {}  # per store directory (tests and users move the data directory)
_index_guard = threading.Lock()


def _indexed(folder: Path) -> list[_Indexed]:
    """Every readable chat of ``folder``; only files new or replaced since the last call are read."""
    with _index_guard:
        known = dict(_index.get(folder, {}))
    fresh: dict[str, _Indexed] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.endswith(_SUFFIX):
                continue
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue  # deleted meanwhile
            identity = (info.st_ino, info.st_size, info.st_mtime_ns)
            cached = known.get(name)
            if cached is None or cached.identity != identity:
                data = _read(Path(entry.path))
                if data is None:
                    continue
                summary = _summary(name[: -len(_SUFFIX)], data)
                cached = _Indexed(identity, summary, _searchable(data, summary["title"]))
            fresh[name] = cached
    with _index_guard:
        _index[folder] = fresh
    return list(fresh.values())


def list_conversations(query: ConversationQuery) -> dict[str, Any]:
    """One page of the saved chats, newest ``updated`` first, optionally only those matching ``search``."""
    entries = _indexed(conversations_dir())
    needle = query.search.strip().casefold()
    if needle:
        entries = [entry for entry in entries if needle in entry.text]
    entries.sort(key=lambda entry: (-entry.summary["updated"], entry.summary["id"]))
    page = entries[query.offset : query.offset + query.limit]
    return {"conversations": [dict(entry.summary) for entry in page], "total": len(entries)}


# -- writing ------------------------------------------------------------------------------


@contextmanager
def _store_locked() -> Iterator[None]:
    """The store's lock, held by every read-modify-write (kernel and server alike)."""
    with file_lock(conversations_dir() / ".lock"):
        yield


def _or_now(stamp: int | float | None, now: int) -> int | float:
    return now if stamp is None else stamp


def _normalised(conversation_id: str, body: Any, now: int) -> dict[str, Any]:
    """``body`` checked and completed (id, title, added, updated) for storing under ``conversation_id``."""
    model = validate(_Conversation, json_object(body))
    if model.id is not None and model.id != conversation_id:
        raise BadRequestError(f"id: {model.id!r} does not match the chat's id {conversation_id!r}")
    sent: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    items = sent.pop("items", [])
    return {
        "id": conversation_id,
        "title": sent.pop("title", None) or default_title(items),
        "added": _or_now(sent.pop("added", None), now),
        "updated": _or_now(sent.pop("updated", None), now),
        **{key: value for key, value in sent.items() if key != "id"},
        "items": items,
    }


def _encoded(data: dict[str, Any]) -> bytes:
    """The stored bytes, refused (413) over the operator's body limit, which bounds every saved chat."""
    encoded = pydantic_core.to_json(data)
    limit = current_settings().max_body_bytes
    if len(encoded) > limit:
        raise PayloadTooLargeError(f"the chat is {len(encoded)} bytes, over the limit of {limit} bytes")
    return encoded


def save_conversation(conversation_id: str, body: Any) -> dict[str, Any]:
    """Store ``body`` whole as chat ``conversation_id`` (its ``id``, if any, must agree); ``{"id", "updated"}``."""
    conversation_id = safe_name(conversation_id, "conversation id")
    data = _normalised(conversation_id, body, _now_ms())
    encoded = _encoded(data)
    with _store_locked():
        atomic_write_bytes(conversation_file(conversation_id), encoded)
    return {"id": conversation_id, "updated": data["updated"]}


def rename_conversation(conversation_id: str, body: Any) -> dict[str, Any]:
    """Give a saved chat a new title (``{"title"}``); a new ``updated`` stamp; returns its list entry."""
    title = validate(_Rename, json_object(body)).title
    path = conversation_file(conversation_id)
    with _store_locked():
        data = load_conversation(conversation_id)
        data["title"] = title
        data["updated"] = max(_now_ms(), _stamp(data.get("updated")) + 1)
        atomic_write_bytes(path, _encoded(data))
    return _summary(conversation_id, data)


def delete_conversation(conversation_id: str) -> dict[str, Any]:
    """Remove a saved chat (404 if there is none, a damaged file included in what can be removed)."""
    path = conversation_file(conversation_id)
    with _store_locked():
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(f"no saved chat {conversation_id!r}") from None
    return {"id": conversation_id, "deleted": True}


def _import_entries(body: Any) -> list[tuple[str, str | None, Any]]:
    """(label, id from the key, object) of each chat in an export: one object, a list, or localStorage's map."""
    if isinstance(body, list):
        return [(f"entry [{index}]", None, entry) for index, entry in enumerate(body)]
    if not isinstance(body, dict):
        raise BadRequestError("expected a conversation object, a list of them or {\"conversation:<id>\": …}")
    keyed = [key for key in body if key.startswith(_IMPORT_PREFIX)]
    if keyed:  # other localStorage keys (settings, the chosen model) are not chats
        return [(f"entry {key!r}", key[len(_IMPORT_PREFIX) :], body[key]) for key in keyed]
    if "items" in body or "id" in body:
        return [("the conversation", None, body)]
    raise BadRequestError("expected a conversation object, a list of them or {\"conversation:<id>\": …}")


def _import_id(keyed_id: str | None, entry: Any) -> str:
    own = entry.get("id") if isinstance(entry, dict) else None
    if own is not None and not isinstance(own, str):
        raise BadRequestError("id: Input should be a valid string")
    if own is not None and keyed_id is not None and own != keyed_id:
        raise BadRequestError(f"id {own!r} differs from its key's id {keyed_id!r}")
    chosen = own if own is not None else keyed_id
    return safe_name(chosen, "conversation id") if chosen is not None else str(uuid.uuid4())


def import_conversations(body: Any) -> dict[str, Any]:
    """Store the chats of an upstream export; every entry is checked before any is written.

    An entry may be the object or its JSON text (as localStorage holds it). A saved chat with a
    later ``updated`` than the imported copy is kept, so importing twice changes nothing.
    """
    now = _now_ms()
    prepared: list[tuple[str, dict[str, Any], bytes]] = []
    for label, keyed_id, raw in _import_entries(body):
        try:
            entry = parse_json(raw) if isinstance(raw, str) else raw
            conversation_id = _import_id(keyed_id, entry)
            data = _normalised(conversation_id, entry, now)
            prepared.append((conversation_id, data, _encoded(data)))
        except (BadRequestError, PayloadTooLargeError) as exc:
            raise type(exc)(f"{label}: {exc}") from None
    with _store_locked():
        for conversation_id, data, encoded in prepared:
            stored = _read(conversation_file(conversation_id))
            if stored is None or _stamp(stored.get("updated")) <= _stamp(data["updated"]):
                atomic_write_bytes(conversation_file(conversation_id), encoded)
    return {"imported": list(dict.fromkeys(conversation_id for conversation_id, _, _ in prepared))}
