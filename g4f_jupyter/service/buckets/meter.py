"""Counting the text a read streams, so a ``load`` event goes out at least every mebibyte."""

from __future__ import annotations

from .progress import Loaded

__all__ = ["LOAD_EVERY", "Meter"]

LOAD_EVERY = 1024 * 1024  # a "load" progress event at least this often (bytes of text)


class Meter:
    """Counts streamed bytes and says when a ``load`` event is due."""

    def __init__(self) -> None:
        self.size = 0
        self.reported = 0

    def add(self, nbytes: int) -> bool:
        """Count ``nbytes``; ``True`` when a ``load`` event is due."""
        self.size += nbytes
        return self.size - self.reported >= LOAD_EVERY

    def load(self) -> Loaded:
        self.reported = self.size
        return Loaded(self.size)
