"""refine_chunks_with_spacy: spaCy's rule-based sentencizer condenses a bucket's text, chats use it."""

from __future__ import annotations

import sys

import pytest
from bucket_docs import sse_events

from g4f_jupyter.service.buckets import ground_messages
from g4f_jupyter.service.buckets.refine import CHUNK_BYTES, refine_text
from g4f_jupyter.store.layout import bucket_dir

LONG = "The harbour master logged every ship that entered the bay during the long winter storms of that year."
LONGER = "Nobody expected that the old lighthouse, rebuilt twice after fires, would still guide the fishing fleet home."
SHORT = ["It rained.", "Gulls cried.", "Boats rocked.", "Nets dried."]
TEXT = " ".join([SHORT[0], LONG, SHORT[1], SHORT[2], LONGER, SHORT[3]])


def test_two_longest_sentences_per_chunk_in_their_order() -> None:
    assert refine_text(TEXT) == f"{LONG}\n{LONGER}"
    assert refine_text("```notes.txt\n" + TEXT + "\n```\n") == f"{LONG}\n{LONGER}"  # file fences are not sentences
    many = "\n".join([TEXT] * (3 * CHUNK_BYTES // len(TEXT)))
    lines = refine_text(many).splitlines()
    assert 3 <= len(lines) // 2 <= 4 and set(lines) == {LONG, LONGER}  # two per chunk, every chunk


@pytest.mark.asyncio
async def test_refine_events_file_and_grounding(fetch, upload) -> None:
    await upload("refined", [("notes.txt", TEXT.encode()), ("more.md", f"# More\n{LONGER} {SHORT[0]}".encode())])
    events = sse_events((await fetch("backend-api/v2/files/refined/stream?refine_chunks_with_spacy=true")).body)
    actions = [e.get("action") for e in events]
    assert "error" not in str(events) and actions[-2:] == ["delete_files", "done"]
    sizes = [e["size"] for e in events if e.get("action") == "refine"]
    assert len(sizes) == 2 and sizes == sorted(sizes)
    assert actions.index("refine") > max(i for i, a in enumerate(actions) if a == "load")
    refined = (bucket_dir("refined") / "refined.cache").read_text("utf-8")
    assert len(refined.encode()) == sizes[-1]
    assert f"```notes.txt\n{LONG}\n{LONGER}\n```" in refined and SHORT[1] not in refined
    assert "```more.md\n" in refined

    question = [{"role": "user", "content": [{"bucket_id": "refined"}, {"type": "text", "text": "Ships?"}]}]
    messages, lines = await ground_messages(question, 4000)
    assert any("refined text" in line for line in lines)
    sent = str(messages[-1]["content"])
    assert LONG in sent and SHORT[1] not in sent

    # New text makes the refined copy stale: the chat goes back to the whole text.
    await upload("refined", [("late.txt", b"A late note arrived.")])
    messages, lines = await ground_messages(question, 4000)
    assert not any("refined text" in line for line in lines) and "A late note arrived." in str(messages[-1])


@pytest.mark.asyncio
async def test_without_spacy_one_error_event_says_how_to_get_it(fetch, upload, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # as if the refine extra were not installed
    await upload("plain", [("a.txt", b"alpha")])
    events = sse_events((await fetch("backend-api/v2/files/plain/stream?refine_chunks_with_spacy=true")).body)
    assert len(events) == 1 and "g4f-jupyter[refine]" in events[0]["error"]["message"]
    assert not (bucket_dir("plain") / "refined.cache").exists()
