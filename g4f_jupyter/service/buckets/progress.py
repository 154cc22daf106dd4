"""What a read yields: the bucket's text in order, and typed progress events between.

Each progress event knows its SSE payload (protocol §4.3) as :attr:`Progress.data`, so
the HTTP route writes it as is and the widget and the grounding read the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Done",
    "Downloaded",
    "FilesDeleted",
    "Loaded",
    "MediaFound",
    "Progress",
    "ReadFailed",
    "ReadItem",
    "Refined",
    "TextChunk",
]


@dataclass(frozen=True)
class TextChunk:
    """A piece of the bucket's text, in order."""

    text: str


@dataclass(frozen=True)
class Progress:
    """Base of the progress events."""

    @property
    def data(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Loaded(Progress):
    """``size`` bytes of text have been streamed so far."""

    size: int

    @property
    def data(self) -> dict[str, Any]:
        return {"action": "load", "size": self.size}


@dataclass(frozen=True)
class Downloaded(Progress):
    """The ``count``-th download job finished."""

    count: int

    @property
    def data(self) -> dict[str, Any]:
        return {"action": "download", "count": self.count}


@dataclass(frozen=True)
class Refined(Progress):
    """``size`` bytes of refined text have been written so far."""

    size: int

    @property
    def data(self) -> dict[str, Any]:
        return {"action": "refine", "size": self.size}


@dataclass(frozen=True)
class MediaFound(Progress):
    """A media file found inside an archive was saved to the bucket's ``media/``."""

    filename: str

    @property
    def data(self) -> dict[str, Any]:
        return {"action": "media", "filename": self.filename}


@dataclass(frozen=True)
class FilesDeleted(Progress):
    @property
    def data(self) -> dict[str, Any]:
        return {"action": "delete_files"}


@dataclass(frozen=True)
class Done(Progress):
    """The read completed; ``size`` bytes of text in all."""

    size: int

    @property
    def data(self) -> dict[str, Any]:
        return {"action": "done", "size": self.size}


@dataclass(frozen=True)
class ReadFailed(Progress):
    """One file (the read goes on) or the whole read (the last event) failed."""

    message: str

    @property
    def data(self) -> dict[str, Any]:
        return {"error": {"message": self.message}}


ReadItem = TextChunk | Progress
