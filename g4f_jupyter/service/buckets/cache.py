"""``plain.cache``: written as a read goes (teed from the stream), replayed by later reads.

The next cache is an atomic file beside the old one: it starts as a copy of the old
cache (less the sections of files being read again) and replaces it only when the read
completes, so an interrupted read leaves the previous cache as it was.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from ...store.atomic import AtomicFile
from .layout import Bucket
from .sections import Section, sections, write_index

__all__ = ["CacheWriter", "replay"]

REPLAY_BLOCK = 1024 * 1024  # bytes per replayed (or copied) piece


def _replaced(section: str, names: frozenset[str]) -> bool:
    """Whether a cached section came from one of ``names`` (an archive's members included)."""
    return section in names or section.split("/", 1)[0] in names


class CacheWriter:
    """The next ``plain.cache`` and its per-file sections."""

    def __init__(self, bucket: Bucket, rereading: frozenset[str] = frozenset()) -> None:
        self.bucket = bucket
        self.out = AtomicFile(bucket.cache)
        self.sections: list[Section] = []
        self.start = 0
        if bucket.cache.is_file():
            self._copy_old(rereading)

    def _copy_old(self, rereading: frozenset[str]) -> None:
        """Keep the old text, except the sections of files that are read again (a re-upload replaces)."""
        with self.bucket.cache.open("rb") as old:
            for name, start, end in sections(self.bucket):
                if _replaced(name, rereading):
                    continue
                old.seek(start)
                begin = self.out.size
                remaining = end - start
                while remaining > 0 and (block := old.read(min(remaining, REPLAY_BLOCK))):
                    self.out.write(block)
                    remaining -= len(block)
                self.sections.append((name, begin, self.out.size))

    @property
    def size(self) -> int:
        return self.out.size

    def write(self, text: str) -> int:
        """Append ``text``; returns its size in bytes."""
        return self.out.write(text.encode("utf-8"))

    def begin(self) -> None:
        self.start = self.out.size

    def end(self, name: str) -> None:
        self.sections.append((name, self.start, self.out.size))

    def commit(self) -> None:
        size = self.out.size
        self.out.commit()
        write_index(self.bucket, self.sections, size)

    def discard(self) -> None:
        self.out.discard()


def replay(bucket: Bucket, rereading: frozenset[str] = frozenset()) -> Iterator[str]:
    """The cached text in pieces of at most :data:`REPLAY_BLOCK` bytes, less the files read again."""
    with bucket.cache.open("rb") as fh:
        for name, start, end in sections(bucket):
            if _replaced(name, rereading):
                continue
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            fh.seek(start)
            remaining = end - start
            while remaining > 0 and (block := fh.read(min(remaining, REPLAY_BLOCK))):
                remaining -= len(block)
                if text := decoder.decode(block, final=remaining <= 0):
                    yield text


