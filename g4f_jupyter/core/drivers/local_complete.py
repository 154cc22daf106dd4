"""Code completion on the embedded model: the code before the cursor, continued to the end of its statement.

Prompt. SmolLM2 has no fill-in-the-middle tokens, so the model continues the code before the
cursor (the cell above, then the cell up to the cursor, cut to ``completion_context_tokens``:
see :mod:`..code_context`). It continues it as the start of its own fenced answer in a chat
turn ("continue this code"), in the model's chat template: on 200 development snippets of
standard-library code (``benchmarks/bench_complete.py``) that made 84.5 % of suggestions parse
and 33.5 % write the rest of the line exactly, against 78.5 % and 32.5 % for the plain code
(and 73 % / 20 % when only the cursor's line is in the answer). The turn's ~40 tokens are the
same for every cell of a notebook, so they are read once; the model closing its fence ends
the suggestion.

Healing. The cursor is usually inside a word (``retur``), whose tokens are not the ones the
model saw in training (``return``): the prompt gives back its last token (and the rest of a
word it ends in), and the first tokens generated must write that text again, chosen greedily
among those that fit. Without this the model takes ``retur`` for a finished name.

Reuse. The model keeps the last completion's tokens in its context, and each keystroke's
prompt extends the previous one, so only the new tokens are read (llama.cpp's count is the
usage's ``prompt_tokens - cached_tokens``). The prompt is read in slices, so a completion
cancelled by the next keystroke keeps what it read. When a chat is about to use the model
(:data:`.local.before_chat`), the completion's context is saved (one state, ~23 KB a token)
and restored by the next completion; chats keep their own state cache untouched.

Reading ahead (:func:`read_ahead`). A client sends the code of a cell when it gets the focus: the
prompt is read and nothing written, so the first suggestion after typing there reads only what
was typed since, instead of the whole context (about a second for 300 tokens on two cores).

Cancellation. The request's flag stops llama.cpp mid-evaluation (:mod:`.llama_abort`), so the
model is free for the next request within milliseconds, even while reading a prompt.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import re
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...throttle import Throttle
from ..code_context import CodeContext, dropped, from_line_start
from ..code_end import Suggestion
from ..events import Event, Finish, Usage
from . import local
from .llama_abort import AbortFlag

__all__ = ["complete_code", "read_ahead"]

_DEFAULTS = {
    "completion_context_tokens": 512,  # code before the cursor the model reads (~2 s cold on two cores)
    "completion_max_tokens": 64,  # a statement or a short block
}
_SLICE = 64  # prompt tokens per evaluation: as fast as one batch (measured), and kept if cancelled
_HEAL_TOKENS = 4  # at most this many prompt tokens are given back to be written again
_WORD_END = re.compile(rb"\w+$")
_FENCE = "```"  # the model closing its answer's code block: the suggestion is over


class _Vocabulary:
    """Each token's bytes, sorted, to find the tokens that can write a given text first."""

    def __init__(self, llm: Any) -> None:
        import llama_cpp

        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        buffer = ctypes.create_string_buffer(256)
        self.pieces: list[bytes] = []
        for token in range(llm.n_vocab()):
            size = llama_cpp.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
            self.pieces.append(buffer.raw[: max(size, 0)])
        ordered = sorted((piece, token) for token, piece in enumerate(self.pieces) if piece)
        self._sorted = [piece for piece, _ in ordered]
        self._ids = [token for _, token in ordered]
        self._exact: dict[bytes, list[int]] = {}
        for token, piece in enumerate(self.pieces):
            if piece:
                self._exact.setdefault(piece, []).append(token)
        self._vocab = vocab

    def is_end(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def writing(self, text: bytes) -> np.ndarray[Any, np.dtype[np.intc]]:
        """The tokens that start with ``text``, or are a beginning of it."""
        low = bisect.bisect_left(self._sorted, text)
        high = bisect.bisect_left(self._sorted, text + b"\xff" * 8)
        ids = self._ids[low:high]
        for size in range(1, len(text)):
            ids = ids + self._exact.get(text[:size], [])
        return np.array(ids, dtype=np.intc)


_vocabularies: weakref.WeakKeyDictionary[Any, _Vocabulary] = weakref.WeakKeyDictionary()


@dataclass
class _Saved:
    """A completion's context, saved while a chat uses the model."""

    model: weakref.ref[Any]
    tokens: list[int]
    state: ctypes.Array[ctypes.c_uint8]


_saved: _Saved | None = None
_live: weakref.ref[Any] | None = None  # the model whose context a completion used last, not yet saved


def _keep_context(llm: Any) -> None:
    """Before a chat: save the context a completion left in ``llm`` (restored by the next completion)."""
    global _saved, _live
    import llama_cpp

    kept = _live() if _live is not None else None
    if kept is None or kept is not llm:
        return
    _live = None
    size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
    state = (ctypes.c_uint8 * size)()
    llama_cpp.llama_state_seq_get_data(llm.ctx, state, size, 0)
    _saved = _Saved(weakref.ref(llm), llm.input_ids[: llm.n_tokens].tolist(), state)


local.before_chat.append(_keep_context)


def _common(a: Any, b: list[int]) -> int:
    """How many tokens ``a`` and ``b`` start with alike."""
    size = min(len(a), len(b))
    differ = np.flatnonzero(np.asarray(a[:size]) != np.asarray(b[:size]))
    return int(differ[0]) if differ.size else size


def _resume(llm: Any, tokens: list[int]) -> int:
    """Put the context holding the longest start of ``tokens`` in place; return how many are in it."""
    import llama_cpp

    live = _common(llm.input_ids[: llm.n_tokens], tokens)
    saved = _saved
    owner = saved.model() if saved is not None else None
    if saved is not None and owner is not None and owner is llm and _common(saved.tokens, tokens) > live:
        llama_cpp.llama_state_seq_set_data(llm.ctx, saved.state, len(saved.state), 0)
        llm.input_ids[: len(saved.tokens)] = saved.tokens
        llm.n_tokens = len(saved.tokens)
        return _common(saved.tokens, tokens)
    return live


_formatters: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _turn(llm: Any, code: CodeContext) -> list[int]:
    """The chat turn, in the model's own template, whose answer the code before the cursor begins."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter = _formatters.get(llm)
    if formatter is None:
        special = {name: llm.detokenize([token], special=True).decode() for name, token in (
            ("eos_token", llm.token_eos()), ("bos_token", llm.token_bos()))}
        formatter = _formatters[llm] = Jinja2ChatFormatter(llm.metadata["tokenizer.chat_template"], **special)
    where = f" from {code.path}" if code.path else ""
    messages: list[Any] = [
        {"role": "system", "content": f"You are a code completion engine: you continue {code.language} code exactly "
         "where it stops."},
        {"role": "user", "content": f"Continue this code{where}."},
    ]
    text = formatter(messages=messages).prompt + f"```{code.language}\n"
    return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))


def _prompt(llm: Any, code: CodeContext, budget: int) -> list[int]:
    """The chat turn, then the code before the cursor as tokens: at most ``budget`` of them, cut at a line start."""
    text = code.code_before()
    tokens: list[int] = llm.tokenize(text.encode("utf-8"), add_bos=False)
    drop = dropped(len(tokens), budget)
    if drop:
        cut = len(llm.detokenize(tokens[:drop]).decode("utf-8", "ignore"))
        tokens = llm.tokenize(from_line_start(text, cut).encode("utf-8"), add_bos=False)
    return _turn(llm, code) + tokens


def _given_back(tokens: list[int], vocabulary: _Vocabulary) -> int:
    """How many tokens at the prompt's end to write again: the last one, and the rest of a word it ends in."""
    tail = b"".join(vocabulary.pieces[t] for t in tokens[-_HEAL_TOKENS:])
    word = _WORD_END.search(tail)
    needed = len(word.group(0)) if word else 1
    count, covered = 0, 0
    while count < min(_HEAL_TOKENS, len(tokens)) and covered < needed:
        count += 1
        covered += len(vocabulary.pieces[tokens[-count]])
    return count


def _read(llm: Any, tokens: list[int], start: int, cancelled: threading.Event) -> bool:
    """Evaluate ``tokens[start:]`` in slices; False when cancelled (the slices read stay in the context)."""
    llm.n_tokens = start
    position = start
    while position < len(tokens):
        end = position + _SLICE
        if len(tokens) - end == 1:  # no one-token slice: llama.cpp counts those as generated, not read
            end += 1
        if cancelled.is_set() or not _evaluate(llm, tokens[position:end], cancelled):
            return False
        position = end
    return True


def _evaluate(llm: Any, tokens: list[int], cancelled: threading.Event) -> bool:
    """``llm.eval(tokens)``; False when the flag aborted it."""
    try:
        llm.eval(tokens)
    except RuntimeError:
        if cancelled.is_set():
            return False
        raise
    return True


def _most_likely(llm: Any, candidates: np.ndarray[Any, np.dtype[np.intc]] | None) -> int:
    """The most likely next token (of ``candidates``, when given): completion is greedy."""
    logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
    if candidates is None:
        return int(np.argmax(logits))
    return int(candidates[int(np.argmax(logits[candidates]))])


@dataclass
class _Answer:
    """What the worker hands over: the suggestion's text in throttled pieces, then usage and finish."""

    put: local.Put
    handover: Throttle
    pending: str = ""

    def text(self, piece: str, final: bool = False) -> None:
        self.pending += piece
        if self.pending and (final or self.handover.due()):  # the first piece goes at once
            self.put("text", self.pending)
            self.pending = ""


def _vocabulary(llm: Any) -> _Vocabulary:
    vocabulary = _vocabularies.get(llm)
    if vocabulary is None:
        vocabulary = _vocabularies[llm] = _Vocabulary(llm)
    return vocabulary


@dataclass
class _Read:
    """A completion's prompt, read into the context (all of it unless cancelled)."""

    tokens: list[int]
    given_back: bytes  # the prompt's end, which the suggestion writes again first
    read: int  # tokens llama.cpp evaluated for this request (the rest were in the context)
    complete: bool


def _read_prompt(llm: Any, code: CodeContext, settings: dict[str, Any], flag: AbortFlag) -> _Read:
    """Bring the context up to the prompt for ``code``: resume what it holds, read the rest in slices."""
    global _live
    import llama_cpp

    vocabulary = _vocabulary(llm)
    tokens = _prompt(llm, code, int(settings["completion_context_tokens"]))
    back = min(_given_back(tokens, vocabulary), len(tokens) - 1)
    prompt = tokens[: len(tokens) - back]
    llama_cpp.llama_perf_context_reset(llm.ctx)
    _live = weakref.ref(llm)  # from here on the context holds this completion (whatever it reads)
    complete = _read(llm, prompt, min(_resume(llm, prompt), len(prompt) - 1), flag)
    # llama.cpp counts what it read when it next waits for its threads: wait now, so that an aborted
    # evaluation is counted here, not in the next request's figures
    llama_cpp.llama_synchronize(llm.ctx)
    given_back = b"".join(vocabulary.pieces[t] for t in tokens[len(prompt) :])
    return _Read(prompt, given_back, int(llama_cpp.llama_perf_context(llm.ctx).n_p_eval), complete)


def _complete(
    llm: Any, code: CodeContext, settings: dict[str, Any], options: dict[str, Any], put: local.Put, flag: AbortFlag
) -> None:
    """One completion on the worker thread: read what is new of the prompt, then write the suggestion."""
    vocabulary = _vocabulary(llm)
    max_tokens = int(options.get("max_tokens") or settings["completion_max_tokens"])
    stop = options.get("stop") or ()
    suggestion = Suggestion(code.cursor, (_FENCE, *((stop,) if isinstance(stop, str) else stop)))
    answer = _Answer(put, Throttle(local._FLUSH_SECONDS))
    written: list[int] = []
    produced, fed, reason = b"", 0, "cancelled"
    prompt = _read_prompt(llm, code, settings, flag)
    again = prompt.given_back
    if prompt.complete:
        reason = "length"
        while len(written) < max_tokens and not flag.is_set():
            token = _most_likely(llm, vocabulary.writing(again) if again else None)
            if not again and vocabulary.is_end(token):
                reason = "stop"
                break
            written.append(token)
            piece = vocabulary.pieces[token]
            produced += piece[len(again) :] if again and piece.startswith(again) else b"" if again else piece
            again = again[len(piece) :] if again.startswith(piece) else b""
            text = produced.decode("utf-8", "ignore")
            answer.text(suggestion.add(text[fed:]))
            fed = len(text)
            if suggestion.complete:
                reason = "stop"
                break
            if not _evaluate(llm, [token], flag):
                break
        if flag.is_set():
            reason = "cancelled"
    answer.text(suggestion.finish(), final=True)
    size = len(prompt.tokens)
    details = {"prompt_tokens_details": {"cached_tokens": max(size - prompt.read, 0)}}
    put("usage", Usage(size, len(written), size + len(written), extra=details))
    put("finish", Finish(reason))


def _on_worker(
    provider: local.LocalProvider, job: Callable[[Any, dict[str, Any], local.Put, AbortFlag], None]
) -> AsyncGenerator[Event, None]:
    """``job(model, settings, put, flag)`` on the model's one worker, the flag armed to stop llama.cpp at once."""
    settings = {**_DEFAULTS, **local.local_settings(provider.spec.settings)}

    def work(put: local.Put, cancelled: threading.Event) -> None:
        assert isinstance(cancelled, AbortFlag)
        llm = local.load_model(provider.spec.settings)
        with cancelled.armed(llm.ctx):
            job(llm, settings, put, cancelled)

    return local.stream_on_worker(work, AbortFlag())


async def complete_code(
    provider: local.LocalProvider, code: CodeContext, **options: Any
) -> AsyncGenerator[Event, None]:
    """The suggestion for ``code`` from the embedded model, streamed, in turn with chats (one worker)."""

    def job(llm: Any, settings: dict[str, Any], put: local.Put, flag: AbortFlag) -> None:
        _complete(llm, code, settings, options, put, flag)

    async with contextlib.aclosing(_on_worker(provider, job)) as events:
        async for event in events:
            yield event


async def read_ahead(provider: local.LocalProvider, code: CodeContext) -> None:
    """Read the prompt for ``code`` into the model's context, writing nothing: the first suggestion asked
    in a cell then reads only what was typed since (a client sends this when a cell gets the focus)."""

    def job(llm: Any, settings: dict[str, Any], put: local.Put, flag: AbortFlag) -> None:
        _read_prompt(llm, code, settings, flag)

    async with contextlib.aclosing(_on_worker(provider, job)) as events:
        async for _ in events:
            pass
