"""A file attached in the chat widget is read by the embedded model before the question is sent."""

from __future__ import annotations

import asyncio

import pytest

from g4f_jupyter.core.drivers.local import load_model
from g4f_jupyter.widgets import BucketUploadWidget, ChatWidget

NOTES = (
    "\n\n".join(f"Entry {i}. Barge {i} carried {i * 4} bales of wool past lock {i % 9} before noon." for i in range(30))
    + "\n\nThe lock keeper's dog is called Pepper.\n"
)


@pytest.mark.asyncio
async def test_a_file_read_into_the_chat_is_prepared_and_the_question_reads_only_itself() -> None:
    chat = ChatWidget(provider="Local", max_tokens=12, temperature=0, seed=1)
    upload = BucketUploadWidget("barge-log", chat=chat)
    await asyncio.wait_for(upload.upload([("log.txt", NOTES.encode())]), 60)
    assert chat.bucket_id == "barge-log" and chat.prepare_task is not None  # attaching sent the prepare
    await asyncio.wait_for(chat.prepare_task, 120)
    assert chat.transcript.children == () and chat.messages == []  # nothing was answered or shown

    await asyncio.wait_for(chat.send("What is the dog called?"), 120)
    usage = chat.conversation["items"][-1]["usage"]
    cached = usage["prompt_tokens_details"]["cached_tokens"]
    assert cached >= len(load_model().tokenize(NOTES.encode(), add_bos=False))  # the file came from the cache
    assert usage["prompt_tokens"] - cached < 30  # only the question and the template around it were read
