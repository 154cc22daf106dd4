"""A provider that answers instantly, so the benchmark measures the server, not a model.

Used by ``bench_stream.py`` through a user provider file with ``driver = "fast_provider:FastProvider"``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from g4f_jupyter.core.events import Content, Event, Finish
from g4f_jupyter.core.provider import ChatMessage, Provider


class FastProvider(Provider):
    """``chunks`` content events, ``delay_ms`` apart (0: just yield to the loop between them)."""

    async def create_async_generator(self, model: str, messages: list[ChatMessage], **kwargs: Any) -> AsyncIterator[Event]:
        chunks = int(kwargs.get("chunks") or self.spec.settings.get("chunks", 20))
        delay = float(kwargs.get("delay_ms") or 0) / 1000
        for index in range(chunks):
            yield Content(f"token{index} ")
            await asyncio.sleep(delay)
        yield Finish("stop")
