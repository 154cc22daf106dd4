"""Stopping llama.cpp in the middle of an evaluation, from another thread, at no cost while it runs.

A request's cancel flag is only looked at between tokens; reading a 300-token prompt is one
evaluation of about a second on two cores, too long to wait when the next keystroke has
already asked again. llama.cpp asks an abort callback after every node of its compute graph
(hundreds per token), so that callback must not be Python: it would take the GIL each time and
stall the evaluation whenever the event loop's thread holds it. The callback is the C
library's ``strlen`` over a two-byte flag instead: 0 until the flag's first byte is set, then
1, which llama.cpp reads as "abort". ``llama_decode`` then returns 2 (llama-cpp-python raises
``RuntimeError``) and the context keeps what earlier evaluations put in it.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["AbortFlag"]


@functools.cache
def _strlen() -> Any:
    """The C library's ``strlen`` as an abort callback, or ``None`` where ctypes cannot reach it."""
    import llama_cpp

    try:
        address = ctypes.cast(ctypes.CDLL(None).strlen, ctypes.c_void_p).value
    except (OSError, AttributeError, TypeError):  # no process-wide C library (Windows): stop between tokens only
        return None
    return llama_cpp.ggml_abort_callback(address) if address else None


class AbortFlag(threading.Event):
    """A cancel flag that, while :meth:`armed` on a context, also stops llama.cpp's current evaluation."""

    def __init__(self) -> None:
        super().__init__()
        self._byte = ctypes.create_string_buffer(2)  # [flag, NUL]: strlen is 0 or 1

    def set(self) -> None:
        self._byte[0] = b"\x01"
        super().set()

    @contextmanager
    def armed(self, ctx: Any) -> Iterator[None]:
        """Within the block, setting the flag aborts llama.cpp's evaluation on ``ctx``."""
        import llama_cpp

        callback = _strlen()
        if callback is None:
            yield
            return
        llama_cpp.llama_set_abort_callback(ctx, callback, ctypes.cast(self._byte, ctypes.c_void_p))
        try:
            yield
        finally:
            llama_cpp.llama_set_abort_callback(ctx, llama_cpp.ggml_abort_callback(), None)
