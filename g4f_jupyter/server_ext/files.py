"""File serving on tornado's own machinery: HEAD, ETag/If-None-Match, Last-Modified and Range.

Each route asks the service which file to serve (a bucket's media file, a generated
media file); tornado's ``StaticFileHandler`` then does the HTTP part, streaming the file
in flushed pieces, so a video can be sought without being read whole. Behind Jupyter
credentials like every other route.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tornado import web

from .base import G4FPageHandler

__all__ = ["G4FFileHandler"]


class G4FFileHandler(G4FPageHandler, web.StaticFileHandler):
    """Serves the file a subclass names with :meth:`serve` (its methods carry the auth decorators).

    Subclasses take route arguments of their own in ``get``/``head``, not tornado's single
    ``path``; hence their ``type: ignore[override]``, as in jupyter_server's own file handler.
    """

    def initialize(self, path: str = os.sep, *args: Any, **kwargs: Any) -> None:
        # Routes give no static root: each request names its own file, and its folder becomes the root.
        web.StaticFileHandler.initialize(self, path, *args, **kwargs)

    async def serve(self, path: Path, include_body: bool = True) -> None:
        self.root = str(path.parent)
        await web.StaticFileHandler.get(self, path.name, include_body=include_body)

    def compute_etag(self) -> str | None:
        """From the file's identity, size and mtime: tornado's default hashes the whole file once and
        caches the hash per path forever, so a replaced file would keep its old ETag."""
        assert self.absolute_path is not None
        st = os.stat(self.absolute_path)
        return f'"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"'

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")  # revalidated each time: a 304 when unchanged
