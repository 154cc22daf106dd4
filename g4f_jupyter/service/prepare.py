"""Reading a chat's prompt before its question is typed: ``/conversation`` with ``"action": "prepare"``.

When a file is attached, a client sends the conversation so far with the attachment and
without the question (the same body otherwise). The provider that would answer reads that
prompt into its cache, so the question, sent later with the same messages plus its text,
reads only its text: on the embedded model a question over a 1,800-token file then starts
answering in about a tenth of a second instead of ten. Nothing is generated and no usage
is recorded; a provider without a prompt cache of ours has nothing to do.

Bucket text goes where the bucket is first mentioned, whole when it fits (see
:mod:`.buckets.grounding`), so the prepared prompt is exactly the start of the question's.
"""

from __future__ import annotations

from typing import Any

from ..core.runner import ChatRequest
from ..errors import BadRequestError
from .buckets import ground_messages
from .conversation import grounding_budget
from .policy import admit
from .request import build_request

__all__ = ["PREPARE", "prepare_messages", "prepare_prompt"]

PREPARE = "prepare"
"""The ``action`` value that asks for this."""


async def prepare_prompt(request: ChatRequest) -> None:
    """Have the provider that would answer ``request`` read its prompt; return once it has.

    Bad input fails as a turn would (400/401/404), and so does what the operator's policy refuses
    (403/429), before anything is read. No turn is recorded.
    """
    if not request.messages or request.messages[-1].get("role") != "user":
        raise BadRequestError("messages: a prepare ends with the user's turn that holds the attachment")
    admission = admit(request)
    if admission.slot is not None:
        admission.slot.release()  # reading ahead is not an answer: it holds none of the user's answer slots
    candidates = admission.candidates
    messages, _ = await ground_messages(request.messages, grounding_budget(candidates))
    provider, model = candidates[0].provider, candidates[0].model
    await provider.prepare(
        model, messages, api_key=request.key_for(provider.name), api_base=request.api_base, **request.options
    )


async def prepare_messages(
    messages: list[dict[str, Any]], *, provider: str | None = None, model: str | None = None, **options: Any
) -> None:
    """:func:`prepare_prompt` for the Python doors (the chat widget): checked as a ``/conversation`` body is."""
    body = {**options, "messages": messages, "provider": provider, "model": model, "action": PREPARE}
    await prepare_prompt(build_request(body))
