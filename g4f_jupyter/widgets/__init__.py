"""ipywidgets front door: chat, bucket upload and share widgets over the same service layer.

Imported lazily so ``import g4f_jupyter`` stays light and one widget's dependencies never
stop another from loading.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["BucketUploadWidget", "ChatWidget", "ShareWidget"]

_WHERE = {"ChatWidget": ".chat", "BucketUploadWidget": ".upload", "ShareWidget": ".share"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
