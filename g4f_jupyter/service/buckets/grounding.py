"""Grounding a chat in buckets: bucket references in messages become text and media parts.

Three forms are expanded (protocol §4.5): a content part ``{"bucket_id", "url"}`` (the
bucket's text), a part ``{"bucket_id", "name", "url"}`` (one media file as a data URI),
and the era-A placeholder ``{"bucket_id":"<id>"}`` inside string content. Log lines say
what was included.

A bucket's text goes once, where the bucket is first mentioned, and whole when it fits the
budget: every turn of a chat then starts with the same tokens, so a model that keeps its
context (the embedded one does) reads the files once, not on every follow-up. A bucket too
large for the budget contributes its chunks most relevant to the user's last question
(BM25) instead of a truncated prefix; that text changes with the question, so it is read anew.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from collections.abc import Iterator
from typing import Any

from ...core.runner import estimate_tokens, message_text
from ...errors import G4FError
from ..media import content_type
from .contents import media_path
from .ingest import ingest
from .layout import Bucket, existing_bucket
from .names import AUDIO_EXTENSIONS, extension
from .pending import pending
from .progress import Progress
from .refine import refined_text
from .retrieval import Chunk, bucket_index
from .sections import sections

__all__ = ["ground_messages"]

# For a provider whose context is unknown: small enough for a 4k-token window with room to answer.
DEFAULT_BUDGET_TOKENS = 1200
PLACEHOLDER = re.compile(r'\{\s*"bucket_id"\s*:\s*"([^"\\]{1,200})"\s*\}')


def _is_ref(part: Any) -> bool:
    return isinstance(part, dict) and "type" not in part and isinstance(part.get("bucket_id"), str)


def _refs(content: Any) -> list[str]:
    """Bucket ids whose text one message's content asks for, one per mention, in order."""
    if isinstance(content, str):
        return PLACEHOLDER.findall(content)
    if isinstance(content, list):
        return [p["bucket_id"] for p in content if _is_ref(p) and "name" not in p]
    return []


def _text_refs(messages: list[dict[str, Any]]) -> list[str]:
    """Bucket ids whose text is asked for, in order of first mention."""
    return list(dict.fromkeys(ref for message in messages for ref in _refs(message.get("content"))))


def _question(messages: list[dict[str, Any]]) -> str:
    """The user's last question: the last user message with text besides bucket references."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            text = PLACEHOLDER.sub(" ", content) if isinstance(content, str) else message_text(message)
            if text.strip():
                return text
    return ""


async def _ensure_cache(bucket: Bucket) -> list[str]:
    """Read pending uploads into ``plain.cache`` (keeping the sources); errors as log lines."""
    if bucket.cache.is_file() and not pending(bucket) and not bucket.downloads.is_file():
        return []
    errors = []
    async for item in ingest(bucket.id, delete_files=False):
        if isinstance(item, Progress) and "error" in item.data:
            errors.append(f"bucket {bucket.id}: {item.data['error']['message']}")
    return errors


def _fenced(picked: list[Chunk]) -> str:
    out: list[tuple[str, str]] = []
    for chunk in picked:
        if out and out[-1][0] == chunk.file:
            out[-1] = (chunk.file, out[-1][1] + "\n…\n" + chunk.text)
        else:
            out.append((chunk.file, chunk.text))
    return "".join(f"```{name}\n{text}\n```\n\n" for name, text in out)


async def _bucket_text(bucket_id: str, question: str, budget: int) -> tuple[str, list[str]]:
    """The text to send for one bucket within ``budget`` tokens, and what was included."""
    try:
        bucket = existing_bucket(bucket_id)
    except G4FError as exc:
        return "", [f"bucket {bucket_id[:40]}: {exc}; skipped"]
    logs = await _ensure_cache(bucket)
    if not bucket.cache.is_file():
        return "", [*logs, f"bucket {bucket.id}: no text; skipped"]
    names = ", ".join(dict.fromkeys(name for name, _, _ in sections(bucket)))
    refined = await asyncio.to_thread(refined_text, bucket)
    if refined is not None and estimate_tokens(refined) <= budget:
        return refined, [*logs, f"bucket {bucket.id}: refined text, {len(refined)} characters ({names})"]
    if (bucket.cache.stat().st_size + 3) // 4 <= budget:  # bytes >= characters: never underestimates
        whole = await asyncio.to_thread(bucket.cache.read_text, "utf-8", "replace")
        return whole, [*logs, f"bucket {bucket.id}: whole text, {len(whole)} characters ({names})"]
    index = await bucket_index(bucket)
    ranked = [i for i, _ in index.search(question, k=64)]
    how = "by relevance"
    if not ranked:
        ranked, how = list(range(len(index.chunks))), "from the start (no chunk matches the question)"
    picked: list[int] = []
    used = 0
    for number in ranked:
        cost = estimate_tokens(index.chunks[number].text) + 8  # + the fence and file name
        if used + cost > budget:
            continue
        picked.append(number)
        used += cost
    if not picked:  # a budget smaller than one chunk still gets the best one, cut to fit
        best = index.chunks[ranked[0]]
        line = f"bucket {bucket.id}: part of 1 of {len(index.chunks)} chunks ({best.file}) {how}"
        return _fenced([Chunk(best.file, best.text[: budget * 4])]), [*logs, line]
    chunks = [index.chunks[i] for i in sorted(picked)]
    files = ", ".join(dict.fromkeys(c.file for c in chunks))
    line = f"bucket {bucket.id}: {len(chunks)} of {len(index.chunks)} chunks ({files}) {how}"
    return _fenced(chunks), [*logs, line]


def _media_part(part: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """A bucket media file as an ``image_url`` (or ``input_audio``) part with its bytes inline."""
    bucket_id, name = part["bucket_id"], part.get("name")
    try:
        path = media_path(bucket_id, name)
    except G4FError as exc:
        return None, f"bucket {bucket_id[:40]}: {exc}; skipped"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    if extension(path.name) in AUDIO_EXTENSIONS:
        part_out = {"type": "input_audio", "input_audio": {"data": data, "format": extension(path.name)}}
    else:
        part_out = {"type": "image_url", "image_url": {"url": f"data:{content_type(path.name)};base64,{data}"}}
    return part_out, f"bucket {bucket_id}: media {path.name} attached"


def _first_mentions(messages: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Where each bucket is mentioned first (message, occurrence): its text goes there only, the
    earliest place, which later turns do not move."""
    first: dict[str, tuple[int, int]] = {}
    for m, message in enumerate(messages):
        for n, bucket_id in enumerate(_refs(message.get("content"))):
            first.setdefault(bucket_id, (m, n))
    return first


async def ground_messages(
    messages: list[dict[str, Any]], budget_tokens: int | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """``messages`` with bucket references expanded (the input is not changed), and log lines.

    ``budget_tokens`` bounds all bucket text together (default :data:`DEFAULT_BUDGET_TOKENS`,
    split evenly between buckets). Missing buckets or media are skipped with a log line.
    """
    ids = _text_refs(messages)
    has_media = any(
        _is_ref(p) and "name" in p for m in messages if isinstance(m.get("content"), list) for p in m["content"]
    )
    if not ids and not has_media:
        return messages, []
    budget = (budget_tokens or DEFAULT_BUDGET_TOKENS) // max(1, len(ids))
    question = _question(messages)
    texts: dict[str, str] = {}
    logs: list[str] = []
    for bucket_id in ids:
        texts[bucket_id], lines = await _bucket_text(bucket_id, question, budget)
        logs.extend(lines)
    first = _first_mentions(messages)
    grounded: list[dict[str, Any]] = []
    for m, message in enumerate(messages):
        content = message.get("content")
        seen = itertools.count()

        def text_for(bucket_id: str, m: int = m, seen: Iterator[int] = seen) -> str:
            return texts.get(bucket_id, "") if first.get(bucket_id) == (m, next(seen)) else ""

        if isinstance(content, str):
            content = PLACEHOLDER.sub(lambda match: text_for(match.group(1)), content)
        elif isinstance(content, list):
            parts: list[Any] = []
            for part in content:
                if not _is_ref(part):
                    parts.append(part)
                elif "name" in part:
                    media, line = await asyncio.to_thread(_media_part, part)
                    logs.append(line)
                    if media:
                        parts.append(media)
                elif text := text_for(part["bucket_id"]):
                    parts.append({"type": "text", "text": text})
            content = parts
        grounded.append({**message, "content": content})
    return grounded, logs
