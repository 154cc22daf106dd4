"""Chunking a bucket's text and ranking chunks against a question with BM25 (bm25s).

When a bucket is larger than the model's context, the chat gets the few chunks most
relevant to the user's question instead of the first N characters. The index is built
in memory, once per version of ``plain.cache`` (keyed by its mtime and size).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from .layout import Bucket
from .sections import sections

__all__ = ["Chunk", "ChunkIndex", "bucket_index", "split_chunks"]

TARGET_CHARS = 600  # ~150 tokens at ~4 characters per token
MAX_CHARS = 800
_CACHE_SIZE = 8


@dataclass(frozen=True)
class Chunk:
    file: str
    text: str


def _units(text: str) -> Iterable[str]:
    """Paragraphs; a paragraph too long for a chunk is cut at lines, a line at MAX_CHARS."""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= MAX_CHARS:
            if paragraph:
                yield paragraph
            continue
        for line in paragraph.splitlines():
            for start in range(0, len(line), MAX_CHARS):
                piece = line[start : start + MAX_CHARS].strip()
                if piece:
                    yield piece


def split_chunks(sections: Iterable[tuple[str, str]]) -> list[Chunk]:
    """Chunks of about TARGET_CHARS characters, each remembering its file name."""
    chunks: list[Chunk] = []
    for name, text in sections:
        current: list[str] = []
        size = 0
        for unit in _units(text):
            if current and size + len(unit) > TARGET_CHARS:
                chunks.append(Chunk(name, "\n".join(current)))
                current, size = [], 0
            current.append(unit)
            size += len(unit) + 1
        if current:
            chunks.append(Chunk(name, "\n".join(current)))
    return chunks


class ChunkIndex:
    """A BM25 index over chunks (English stop words, no stemming)."""

    def __init__(self, chunks: list[Chunk]) -> None:
        import bm25s
        from bm25s.tokenization import Tokenizer

        self.chunks = chunks
        self._tokenizer = Tokenizer(stopwords="en")
        self._retriever = bm25s.BM25()
        if chunks:  # an empty index cannot be built, and search() never consults it
            ids = self._tokenizer.tokenize([c.text for c in chunks], return_as="ids", show_progress=False)
            self._retriever.index(ids, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """``(chunk number, score)`` of the best chunks, best first; only chunks that match."""
        k = min(k, len(self.chunks))
        if k <= 0 or not query.strip():
            return []
        ids = self._tokenizer.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)
        found, scores = self._retriever.retrieve(ids, k=k, show_progress=False, n_threads=1)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


def _strip_fence(name: str, text: str) -> str:
    head = f"```{name}\n"
    text = text[len(head) :] if text.startswith(head) else text
    return text[: -len("\n```\n\n")] if text.endswith("\n```\n\n") else text


def read_sections(bucket: Bucket) -> list[tuple[str, str]]:
    """``(file name, text)`` of every file in ``plain.cache``, without the code fences."""
    data = bucket.cache.read_bytes()
    return [(name, _strip_fence(name, data[a:b].decode("utf-8", "replace"))) for name, a, b in sections(bucket)]


_indexes: OrderedDict[str, tuple[tuple[int, int], ChunkIndex]] = OrderedDict()
_indexes_lock = threading.Lock()


def _build(bucket: Bucket) -> ChunkIndex:
    stat = bucket.cache.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    with _indexes_lock:
        cached = _indexes.get(str(bucket.dir))
        if cached and cached[0] == key:
            _indexes.move_to_end(str(bucket.dir))
            return cached[1]
    index = ChunkIndex(split_chunks(read_sections(bucket)))
    with _indexes_lock:
        _indexes[str(bucket.dir)] = (key, index)
        while len(_indexes) > _CACHE_SIZE:
            _indexes.popitem(last=False)
    return index


async def bucket_index(bucket: Bucket) -> ChunkIndex:
    """The (cached) index of the bucket's ``plain.cache``, built in a worker thread."""
    return await asyncio.to_thread(_build, bucket)
