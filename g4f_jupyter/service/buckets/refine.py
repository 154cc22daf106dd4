"""``refine_chunks_with_spacy``: a condensed copy of a bucket's text, for models with small contexts.

After a read, each file's text is cut into chunks of about :data:`CHUNK_BYTES` (at line
ends) and only the two longest sentences of each chunk are kept, in their order, into
``refined.cache`` (written atomically). Sentences come from spaCy's rule-based
sentencizer on a blank pipeline, so no model has to be downloaded; spaCy itself is the
optional extra ``refine``. Chats use the refined text when the whole of it fits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from ...store.atomic import atomic_write_text
from .layout import Bucket
from .sections import sections

__all__ = ["CHUNK_BYTES", "KEEP", "refine_available", "refine_bucket", "refine_text", "refined_text"]

CHUNK_BYTES = 6 * 1024
KEEP = 2  # sentences kept per chunk
UNAVAILABLE = (
    "refine_chunks_with_spacy is not available: spaCy is not installed (pip install 'g4f-jupyter[refine]'); "
    "chats rank the bucket's chunks by relevance instead"
)
_FENCE = re.compile(r"^\s*```.*$", re.M)


def refine_available() -> bool:
    """Whether spaCy can be imported (the ``refine`` extra is installed)."""
    try:
        import spacy  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=4)
def _pipeline(lang: str) -> Any:
    """A blank pipeline with only the rule-based sentencizer (built once per language per process)."""
    import spacy  # optional: the ``refine`` extra

    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    nlp.max_length = 4 * CHUNK_BYTES
    return nlp


def _chunks(text: str) -> Iterator[str]:
    """``text`` in pieces of about :data:`CHUNK_BYTES` characters, cut after a line where possible."""
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK_BYTES)
        if end < len(text):
            cut = text.rfind("\n", start + CHUNK_BYTES // 2, end)
            end = cut + 1 if cut >= 0 else end
        yield text[start:end]
        start = end


def refine_text(text: str, lang: str = "en") -> str:
    """The :data:`KEEP` longest sentences of each chunk of ``text``, in their order, one per line."""
    nlp = _pipeline(lang)
    kept: list[str] = []
    for chunk in _chunks(_FENCE.sub("", text)):
        sentences = [" ".join(s.text.split()) for s in nlp(chunk).sents]
        longest = sorted(range(len(sentences)), key=lambda i: len(sentences[i]), reverse=True)[:KEEP]
        kept.extend(sentences[i] for i in sorted(longest) if sentences[i])
    return "\n".join(kept)


def _section_texts(bucket: Bucket) -> Iterator[tuple[str, str]]:
    """``(file name, text)`` per file of ``plain.cache``, in order."""
    with bucket.cache.open("rb") as fh:
        for name, start, end in sections(bucket):
            fh.seek(start)
            yield name, fh.read(end - start).decode("utf-8", "replace")


def refine_bucket(bucket: Bucket, lang: str = "en") -> Iterator[int]:
    """Write ``refined.cache`` from ``plain.cache``; yields the refined size in bytes after each file."""
    out: list[str] = []
    size = 0
    for name, text in _section_texts(bucket):
        refined = refine_text(text, lang)
        if refined:
            block = f"```{name}\n{refined}\n```\n\n"
            out.append(block)
            size += len(block.encode("utf-8"))
            yield size
    atomic_write_text(bucket.refined, "".join(out))


def refined_text(bucket: Bucket) -> str | None:
    """The refined text when it was made from the current ``plain.cache``, else ``None``."""
    try:
        if bucket.refined.stat().st_mtime_ns >= bucket.cache.stat().st_mtime_ns:
            return bucket.refined.read_text("utf-8", "replace")
    except FileNotFoundError:
        pass
    return None
