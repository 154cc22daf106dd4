"""/usage, /log and /memory/<user_id>: appends and SQLite FTS5 against the real server."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

V2 = "backend-api/v2"

_WRITER = """
import sys
from g4f_jupyter.service import records, shares
for i in range(int(sys.argv[1])):
    records.append_usage({"source": "kernel", "i": i, "pad": "k" * 2000}, "kernel-user")
    shares.save_share(f"kernel-share-{i % 5}", {"id": "c", "updated": i, "items": []})
"""


def day_lines(directory: Path) -> list[dict]:
    files = sorted(directory.glob("*.jsonl"))
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


@pytest.mark.asyncio
async def test_usage_appends_with_user_header(raw_fetch, g4f_data_dir) -> None:
    response = await raw_fetch(f"{V2}/usage", "POST", body={"model": "m", "total_tokens": 3}, headers={"x_user": "ann"})
    assert response.code == 200 and json.loads(response.body) == {}
    await raw_fetch(f"{V2}/usage", "POST", body={"model": "m2"})
    lines = day_lines(g4f_data_dir / "usage")
    assert lines == [{"user": "ann", "model": "m", "total_tokens": 3}, {"user": "unknown", "model": "m2"}]


@pytest.mark.asyncio
async def test_log_appends_origin_and_rejects_non_objects(error_message, raw_fetch, g4f_data_dir, jp_http_port) -> None:
    origin = f"http://127.0.0.1:{jp_http_port}"
    report = {"type": "error", "message": "boom"}
    response = await raw_fetch(f"{V2}/log", "POST", body=report, headers={"Origin": origin})
    assert response.code == 200 and json.loads(response.body) == {}
    response = await raw_fetch(f"{V2}/log", "POST", body={"type": "message", "message": "hi"})
    assert day_lines(g4f_data_dir / "logging") == [
        {"origin": origin, "type": "error", "message": "boom"},
        {"origin": None, "type": "message", "message": "hi"},
    ]
    for bad in (b"[1, 2]", b"not json", b'"text"'):
        response = await raw_fetch(f"{V2}/log", "POST", body=bad, headers={"Content-Type": "application/json"})
        assert response.code == 400, bad
        assert error_message(response)
    assert len(day_lines(g4f_data_dir / "logging")) == 2


@pytest.mark.asyncio
async def test_second_process_appends_concurrently(raw_fetch, g4f_data_dir) -> None:
    per_side = 150
    writer = await asyncio.create_subprocess_exec(sys.executable, "-c", _WRITER, str(per_side))
    sent = 0
    while sent < per_side:
        batch = [
            raw_fetch(f"{V2}/usage", "POST", body={"source": "server", "i": sent + j, "pad": "s" * 2000})
            for j in range(10)
        ]
        assert all(r.code == 200 for r in await asyncio.gather(*batch))
        sent += 10
    assert await writer.wait() == 0
    lines = day_lines(g4f_data_dir / "usage")  # every line parses as JSON (json.loads would raise)
    assert len(lines) == 2 * per_side
    assert sorted(x["i"] for x in lines if x["source"] == "kernel") == list(range(per_side))
    assert sorted(x["i"] for x in lines if x["source"] == "server") == list(range(per_side))
    share = await raw_fetch(f"{V2}/chat/kernel-share-4")
    assert share.code == 200 and json.loads(share.body)["updated"] == per_side - 1


def conversation(cid: str, *texts: str) -> dict:
    roles = ("user", "assistant")
    return {"id": cid, "items": [{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)]}


@pytest.mark.asyncio
async def test_memory_store_list_and_ranked_search(error_message, raw_fetch) -> None:
    first = conversation("c1", "My cat is called Tom", "Tom is a fine name for a cat", "I also have a dog")
    response = await raw_fetch(f"{V2}/memory/alice", "POST", body=first)
    assert response.code == 200 and json.loads(response.body) == {"count": 3}
    await raw_fetch(f"{V2}/memory/alice", "POST", body=conversation("c2", "Paris is in France"))
    await raw_fetch(f"{V2}/memory/bob", "POST", body=conversation("c3", "bob likes cats too: cat cat"))
    # posting a conversation again replaces it instead of duplicating
    await raw_fetch(f"{V2}/memory/alice", "POST", body=first)
    listing = json.loads((await raw_fetch(f"{V2}/memory/alice")).body)
    assert listing["count"] == 4 and len(listing["results"]) == 4
    item = listing["results"][-1]
    assert set(item) == {"id", "memory", "role", "user_id", "metadata", "created_at"}
    assert item["user_id"] == "alice" and item["metadata"]["conversation_id"] in ("c1", "c2")
    page = json.loads((await raw_fetch(f"{V2}/memory/alice?page=2&page_size=3")).body)
    assert page["count"] == 4 and len(page["results"]) == 1
    found = json.loads((await raw_fetch(f"{V2}/memory/alice?search=cat%20Tom")).body)
    memories = [r["memory"] for r in found["results"]]
    assert found["count"] == 2 and set(memories) == {"My cat is called Tom", "Tom is a fine name for a cat"}
    assert found["results"][0]["score"] >= found["results"][1]["score"] > 0
    assert "bob" not in json.dumps(found)
    ranked = json.loads((await raw_fetch(f"{V2}/memory/alice?search=france%20OR%20NOT%22")).body)
    assert [r["memory"] for r in ranked["results"]] == ["Paris is in France"]
    response = await raw_fetch(f"{V2}/memory/alice", "POST", body={"items": "nope"})
    assert response.code == 400 and error_message(response)
    response = await raw_fetch(f"{V2}/memory/alice?page=zero")
    assert response.code == 400
