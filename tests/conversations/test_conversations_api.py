"""``backend-api/v2/conversations``: the chat store the page, the Lab panel and the widget share, on a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

Fetch = Callable[..., Any]
URL = "backend-api/v2/conversations"

# A conversation as upstream's page keeps it in localStorage, keys this product never reads included.
UPSTREAM = {
    "id": "0b6c3d5e-1f2a-4b7c-8d9e-0f1a2b3c4d5e",
    "title": "Sea shanties",
    "added": 1_700_000_000_000,
    "updated": 1_700_000_100_000,
    "system": "Answer as a sailor.",
    "items": [
        {"role": "user", "content": "Sing me a SEA shanty about the wind.", "regenerate": False},
        {
            "role": "assistant",
            "content": "Haul away, the wind is high!",
            "provider": {"name": "Local", "label": "Local", "model": "SmolLM2-135M-Instruct", "url": ""},
            "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
            "reasoning": {"text": "A shanty has a refrain."},
            "finish": {"reason": "stop"},
            "synthesize": {"provider": "Gemini", "data": {"text": "Haul away"}},
            "continue": None,
        },
    ],
    "data": {"OpenaiChat": {"conversation_id": "abc", "message_id": "def"}},
    "share": {"id": "s-1", "owner": True},
    "new_title": None,
}


def body_of(response: HTTPResponse) -> Any:
    assert response.headers["Content-Type"].startswith("application/json"), response.body
    return json.loads(response.body)


def store(data_dir: Path) -> Path:
    return data_dir / "conversations"


def stored_files(data_dir: Path) -> list[str]:
    folder = store(data_dir)
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock") if folder.exists() else []


def chat(chat_id: str, title: str, updated: int, *texts: str) -> dict[str, Any]:
    items = [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(texts)]
    return {"id": chat_id, "title": title, "added": updated - 5, "updated": updated, "items": items}


@pytest.mark.asyncio
async def test_put_get_round_trips_upstream_objects_with_every_key_kept(raw_fetch: Fetch, g4f_data_dir: Path) -> None:
    chat_id = UPSTREAM["id"]
    saved = await raw_fetch(f"{URL}/{chat_id}", "PUT", UPSTREAM)
    assert saved.code == 200 and body_of(saved) == {"id": chat_id, "updated": 1_700_000_100_000}
    got = await raw_fetch(f"{URL}/{chat_id}")
    assert got.code == 200 and body_of(got) == UPSTREAM
    assert json.loads((store(g4f_data_dir) / f"{chat_id}.json").read_text("utf-8")) == UPSTREAM
    assert stored_files(g4f_data_dir) == [f"{chat_id}.json"]  # written whole: no temporary file left

    # a new object without id, title or stamps: the id is the path's, the title the first question, stamps now
    before = int(time.time() * 1000)
    question = {"role": "user", "content": "  Plan a trip\nto Oslo"}
    saved = await raw_fetch(f"{URL}/fresh.v1", "PUT", {"items": [question]})
    reply = body_of(saved)
    assert saved.code == 200 and reply["id"] == "fresh.v1" and before <= reply["updated"] <= time.time() * 1000
    fresh = body_of(await raw_fetch(f"{URL}/fresh.v1"))
    assert fresh["id"] == "fresh.v1" and fresh["title"] == "Plan a trip" and fresh["added"] == fresh["updated"]

    # PUT replaces the whole chat
    replaced = {**UPSTREAM, "items": UPSTREAM["items"][:1], "updated": 1_700_000_200_000}
    assert (await raw_fetch(f"{URL}/{chat_id}", "PUT", replaced)).code == 200
    assert body_of(await raw_fetch(f"{URL}/{chat_id}")) == replaced


@pytest.mark.asyncio
async def test_list_is_newest_first_paged_and_searches_titles_and_messages(raw_fetch: Fetch) -> None:
    long_question = "Why " + "very " * 40 + "long?"
    chats = [
        chat("a", "Shopping list", 1000, "Milk and bread", "Noted."),
        chat("b", "Physics", 3000, long_question, "Because of Gravity."),
        chat("c", "Poems", 2000, "A haiku please", "Autumn moonlight"),
    ]
    for entry in chats:
        assert (await raw_fetch(f"{URL}/{entry['id']}", "PUT", entry)).code == 200

    listing = body_of(await raw_fetch(URL))
    assert listing["total"] == 3 and [c["id"] for c in listing["conversations"]] == ["b", "c", "a"]
    first = listing["conversations"][0]
    assert first == {
        "id": "b", "title": "Physics", "added": 2995, "updated": 3000, "messages": 2,
        "preview": " ".join(long_question.split())[:120],
    }
    assert len(first["preview"]) == 120

    page = body_of(await raw_fetch(f"{URL}?limit=1&offset=1"))
    assert page["total"] == 3 and [c["id"] for c in page["conversations"]] == ["c"]
    assert body_of(await raw_fetch(f"{URL}?offset=5"))["conversations"] == []

    by_message = body_of(await raw_fetch(f"{URL}?search=GRAVITY"))  # an answer's text, case-insensitive
    assert by_message["total"] == 1 and by_message["conversations"][0]["id"] == "b"
    by_title = body_of(await raw_fetch(f"{URL}?search=shopping"))
    assert [c["id"] for c in by_title["conversations"]] == ["a"]
    assert body_of(await raw_fetch(f"{URL}?search=nothing%20like%20this")) == {"conversations": [], "total": 0}


@pytest.mark.asyncio
async def test_rename_and_delete(
    raw_fetch: Fetch, error_message: Callable[[HTTPResponse], str], g4f_data_dir: Path
) -> None:
    await raw_fetch(f"{URL}/r1", "PUT", chat("r1", "Old name", 5000, "Hello", "Hi"))
    renamed = await raw_fetch(f"{URL}/r1", "PATCH", {"title": "  New name  "})
    entry = body_of(renamed)
    assert renamed.code == 200 and entry["title"] == "New name" and entry["updated"] > 5000
    assert {k: entry[k] for k in ("id", "added", "messages", "preview")} == {
        "id": "r1", "added": 4995, "messages": 2, "preview": "Hello"
    }
    kept = body_of(await raw_fetch(f"{URL}/r1"))
    assert kept["title"] == "New name" and kept["items"][1]["content"] == "Hi"

    for bad, wanted in [
        ({"title": ""}, "title"), ({"title": 3}, "title"), ({}, "title is required"),
        ({"title": "x", "items": []}, "items"), ({"title": "x" * 1001}, "title"), ([], "JSON object"),
    ]:
        response = await raw_fetch(f"{URL}/r1", "PATCH", bad)
        assert response.code == 400 and wanted in error_message(response), (bad, error_message(response))
    missing = await raw_fetch(f"{URL}/nope", "PATCH", {"title": "x"})
    assert missing.code == 404 and "nope" in error_message(missing)

    deleted = await raw_fetch(f"{URL}/r1", "DELETE")
    assert deleted.code == 200 and body_of(deleted) == {"id": "r1", "deleted": True}
    assert stored_files(g4f_data_dir) == []
    assert (await raw_fetch(f"{URL}/r1")).code == 404
    again = await raw_fetch(f"{URL}/r1", "DELETE")
    assert again.code == 404 and "no saved chat" in error_message(again)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "method", "body", "status", "wanted"),
    [
        (f"{URL}/%2e%2e", "PUT", {"items": []}, 400, "invalid conversation id"),
        (f"{URL}/a..b", "PUT", {"items": []}, 400, "invalid conversation id"),
        (f"{URL}/..%2Fshares%2Fx", "PUT", {"items": []}, 400, "invalid conversation id"),
        (f"{URL}/%2e%2e", "GET", None, 400, "invalid conversation id"),
        (f"{URL}/.hidden", "DELETE", None, 400, "invalid conversation id"),
        (f"{URL}/%2e%2e", "PATCH", {"title": "x"}, 400, "invalid conversation id"),
        (f"{URL}/%2e%2e/export", "POST", {"format": "markdown"}, 400, "invalid conversation id"),
        (f"{URL}/x", "PUT", {"id": "y", "items": []}, 400, "does not match"),
        (f"{URL}/x", "PUT", [], 400, "JSON object"),
        (f"{URL}/x", "PUT", {"items": {}}, 400, "items"),
        (f"{URL}/x", "PUT", {"items": [{"content": "hi"}]}, 400, "items[0].role is required"),
        (f"{URL}/x", "PUT", {"items": [{"role": "user"}]}, 400, "items[0].content is required"),
        (f"{URL}/x", "PUT", {"updated": True}, 400, "updated"),
        (f"{URL}/x", "PUT", {"updated": -1}, 400, "updated"),
        (f"{URL}/x", "PUT", {"title": ["t"]}, 400, "title"),
        (f"{URL}/x", "PUT", '{"items": [], "added": NaN}', 400, "Invalid JSON"),
        (f"{URL}/x", "PUT", '{"title": "\\ud800"}', 400, "not Unicode"),
        (f"{URL}/x", "PUT", "[" * 300 + "]" * 300, 400, "nested deeper"),
        (f"{URL}?limit=0", "GET", None, 400, "limit"),
        (f"{URL}?limit=many", "GET", None, 400, "limit"),
        (f"{URL}?offset=-1", "GET", None, 400, "offset"),
        (f"{URL}?sort=title", "GET", None, 400, "sort"),
        (f"{URL}/none-such", "GET", None, 404, "no saved chat"),
    ],
)
async def test_bad_input_is_a_clear_error_and_writes_nothing(
    raw_fetch: Fetch, error_message: Callable[[HTTPResponse], str], g4f_data_dir: Path,
    path: str, method: str, body: Any, status: int, wanted: str,
) -> None:
    headers = {"Content-Type": "application/json"}
    response = await raw_fetch(path, method, body, headers=headers)
    assert response.code == status and wanted in error_message(response), (response.code, response.body)
    assert stored_files(g4f_data_dir) == []
    assert not list(g4f_data_dir.rglob("x.json")) and not (g4f_data_dir / "shares").exists()


@pytest.mark.asyncio
async def test_oversized_bodies_are_413_before_anything_is_written(
    raw_fetch: Fetch, error_message: Callable[[HTTPResponse], str], jp_serverapp: Any, g4f_data_dir: Path,
    server_url: str, jp_auth_header: dict[str, str],
) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].max_body_bytes = 4000
    big = {"items": [{"role": "user", "content": "x" * 5000}]}
    for path, method in [(f"{URL}/big", "PUT"), (f"{URL}/big", "PATCH"), (f"{URL}/import", "POST")]:
        response = await raw_fetch(path, method, big)
        assert response.code == 413 and "4000" in error_message(response), (path, response.code)
    async def produce(write: Callable[[bytes], Awaitable[None]]) -> None:
        await write(json.dumps(big).encode())

    chunked = await AsyncHTTPClient().fetch(  # no Content-Length to check: cut while it streams in
        f"{server_url}{URL}/big", method="PUT", body_producer=produce, raise_error=False,
        headers={**jp_auth_header, "Content-Type": "application/json"},
    )
    assert chunked.code == 413
    assert stored_files(g4f_data_dir) == []


def test_a_chat_over_the_operator_limit_is_refused_in_a_kernel_too(
    g4f_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from g4f_jupyter.errors import PayloadTooLargeError
    from g4f_jupyter.service.conversations import save_conversation

    monkeypatch.setenv("G4F_JUPYTER_MAX_BODY_BYTES", "3000")  # what the server exports to its kernels
    with pytest.raises(PayloadTooLargeError, match="3000"):
        save_conversation("big", {"items": [{"role": "user", "content": "x" * 4000}]})
    assert stored_files(g4f_data_dir) == []


@pytest.mark.asyncio
async def test_import_takes_upstream_exports_in_all_three_shapes(raw_fetch: Fetch) -> None:
    single = await raw_fetch(f"{URL}/import", "POST", UPSTREAM)
    assert single.code == 200 and body_of(single) == {"imported": [UPSTREAM["id"]]}
    assert body_of(await raw_fetch(f"{URL}/{UPSTREAM['id']}")) == UPSTREAM

    listed = await raw_fetch(f"{URL}/import", "POST", [chat("l1", "One", 10, "q"), {"items": [], "title": "No id"}])
    ids = body_of(listed)["imported"]
    assert listed.code == 200 and ids[0] == "l1" and len(ids) == 2 and ids[1] != "l1"  # a chat without id gets one
    assert body_of(await raw_fetch(f"{URL}/{ids[1]}"))["title"] == "No id"

    # localStorage as the page holds it: values are JSON text; other keys are not chats
    storage = {
        "conversation:k1": json.dumps(chat("k1", "From storage", 20, "hello")),
        "conversation:k2": chat("k2", "Parsed", 30, "hi"),
        "conversation:k3": json.dumps({"title": "Keyed only", "items": []}),
        "theme": "dark", "model": "gpt-4o",
    }
    mapped = await raw_fetch(f"{URL}/import", "POST", storage)
    assert mapped.code == 200 and body_of(mapped) == {"imported": ["k1", "k2", "k3"]}
    assert body_of(await raw_fetch(f"{URL}/k3"))["id"] == "k3"
    assert body_of(await raw_fetch(URL))["total"] == 6

    # importing an older copy again keeps the newer saved chat
    await raw_fetch(f"{URL}/k1", "PATCH", {"title": "Renamed since"})
    again = await raw_fetch(f"{URL}/import", "POST", storage)
    assert again.code == 200 and body_of(await raw_fetch(f"{URL}/k1"))["title"] == "Renamed since"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("export", "wanted"),
    [
        ([chat("ok1", "Fine", 100, "q"), {"items": [{"content": "no role"}]}], "entry [1]: items[0].role is required"),
        ({"conversation:ok1": chat("ok1", "Fine", 100, "q"), "conversation:bad": "{not json"}, "'conversation:bad'"),
        ({"conversation:ok1": chat("ok1", "Fine", 100, "q"), "conversation:b": chat("c", "x", 100)}, "differs"),
        ({"conversation:../x": {"items": []}}, "invalid conversation id"),
        ([chat("ok1", "Fine", 100, "q"), {"id": "a/b", "items": []}], "entry [1]: invalid conversation id"),
        ([{"id": 7, "items": []}], "entry [0]: id: Input should be a valid string"),
        ({"theme": "dark"}, "expected a conversation object"),
        ("just text", "expected a conversation object"),
    ],
)
async def test_an_import_with_a_bad_entry_names_it_and_writes_nothing(
    raw_fetch: Fetch, error_message: Callable[[HTTPResponse], str], g4f_data_dir: Path, export: Any, wanted: str
) -> None:
    headers = {"Content-Type": "application/json"}
    response = await raw_fetch(f"{URL}/import", "POST", json.dumps(export), headers=headers)
    assert response.code == 400 and wanted in error_message(response), error_message(response)
    assert stored_files(g4f_data_dir) == []


@pytest.mark.asyncio
async def test_chats_written_by_another_process_are_listed_and_rereads_follow_rewrites(
    raw_fetch: Fetch, g4f_data_dir: Path
) -> None:
    """A kernel is another process on the same directory: its saves appear, its rewrites replace what was listed."""
    await raw_fetch(f"{URL}/mine", "PUT", chat("mine", "Server side", 100, "q"))
    assert body_of(await raw_fetch(URL))["total"] == 1  # the listing has read (and kept) this chat
    script = textwrap.dedent(
        """
        from g4f_jupyter.service.conversations import rename_conversation, save_conversation
        question = {"role": "user", "content": "q"}
        save_conversation("theirs", {"title": "Kernel side", "updated": 200, "items": [question]})
        rename_conversation("mine", {"title": "Renamed in a kernel"})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)  # inherits the test's data directory
    listing = body_of(await raw_fetch(URL))
    assert {c["id"]: c["title"] for c in listing["conversations"]} == {
        "mine": "Renamed in a kernel", "theirs": "Kernel side"
    }
    (store(g4f_data_dir) / "theirs.json").unlink()
    assert [c["id"] for c in body_of(await raw_fetch(URL))["conversations"]] == ["mine"]
