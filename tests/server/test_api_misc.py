"""/create, /upload_cookies, /chat/<share_id>, /synthesize, /media and /search on the real server."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from urllib.parse import quote

import pytest
from forms import multipart

from g4f_jupyter.service.create import WEB_SEARCH_UNAVAILABLE, filter_markdown

V2 = "backend-api/v2"
HOSTILE = ["..%2Fx", "%2e%2e", "a%00b", "%2Fetc%2Fpasswd", ".hidden", "a%20b"]


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


@pytest.mark.asyncio
async def test_create_requires_prompt_and_checks_provider(error_message, raw_fetch, user_providers_dir) -> None:
    response = await raw_fetch(f"{V2}/create")
    assert response.code == 400 and "prompt" in error_message(response)
    response = await raw_fetch(f"{V2}/create?prompt=hi&provider=Nope")
    assert response.code == 404 and "Nope" in error_message(response)
    (user_providers_dir / "Keyed.toml").write_text(
        'name = "Keyed"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "G4F_TEST_UNSET_KEY"\nneeds_auth = true\nmodels = ["k-1"]\n'
    )
    response = await raw_fetch(f"{V2}/create?prompt=hi&provider=Keyed")
    assert response.code == 401 and "G4F_TEST_UNSET_KEY" in error_message(response)


@pytest.mark.asyncio
async def test_create_answers_and_caches(raw_fetch, g4f_data_dir) -> None:
    url = f"{V2}/create?prompt=Name%20a%20colour.&max_tokens=12&cache=v1"
    first = await raw_fetch(url)
    assert first.code == 200 and first.headers["Content-Type"].startswith("text/plain")
    assert first.body.strip()
    cached = list((g4f_data_dir / "cache" / "create").glob("*.txt"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.body
    cached[0].write_text("from the cache")  # proves the second answer is read, not generated
    second = await raw_fetch(url)
    assert second.body == b"from the cache"
    other = await raw_fetch(f"{V2}/create", "POST", body={"prompt": "Name a colour.", "max_tokens": 12, "cache": "v2"})
    assert other.code == 200 and other.body != b"from the cache"
    assert len(list((g4f_data_dir / "cache" / "create").glob("*.txt"))) == 2


@pytest.mark.asyncio
async def test_create_reports_length_and_offline_web_search(raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/create?prompt=Write%20a%20long%20poem.&max_tokens=3&web_search=true")
    text = response.body.decode()
    assert response.code == 200 and "[length]" in text and WEB_SEARCH_UNAVAILABLE in text


def test_filter_markdown_rules() -> None:
    text = "intro\n```python\nprint(1)\n```\nmid\n```json\n{\"a\": 1}\n```\n"
    assert filter_markdown(text, True) == "print(1)"
    assert filter_markdown(text, "json") == '{"a": 1}'
    assert filter_markdown(text, "rust") == ""
    assert filter_markdown("no fences", True) == "no fences"


@pytest.mark.asyncio
async def test_create_filter_markdown_over_http(raw_fetch, g4f_data_dir) -> None:
    # a cached answer with fences: the filter applies to freshly generated text before caching,
    # so generate with filter_markdown=rust (no such block → empty text) and check the cache
    response = await raw_fetch(f"{V2}/create?prompt=Say%20hi.&max_tokens=8&filter_markdown=rust&cache=f")
    assert response.code == 200 and response.body == b""
    response = await raw_fetch(f"{V2}/create?prompt=Say%20hi.&max_tokens=8&filter_markdown=no")
    assert response.code == 200 and response.body.strip()


@pytest.mark.asyncio
async def test_upload_cookies(error_message, raw_fetch, g4f_data_dir, jp_serverapp) -> None:
    body, headers = multipart([("file", "cookies.har", b'{"log": {}}')])
    response = await raw_fetch(f"{V2}/upload_cookies", "POST", body=body, headers=headers)
    assert response.code == 200 and response.body == b"File saved"
    saved = g4f_data_dir / "cookies" / "cookies.har"
    assert saved.read_bytes() == b'{"log": {}}' and stat.S_IMODE(saved.stat().st_mode) == 0o600
    cases = [
        (("file", "x.exe", b"x"), 400, "Not supported file"),
        (("file", "", b"x"), 400, "No selected file"),
        (("other", "a.json", b"x"), 400, "No selected file"),
        (("file", "../../evil.json", b"x"), 400, "invalid file name"),
        (("file", "/etc/evil.json", b"x"), 400, "invalid file name"),
        (("file", "api_key_OpenAI.json", b"{}"), 400, "reserved"),
    ]
    for (field, name, data), status, message in cases:
        body, headers = multipart([(field, name, data)])
        response = await raw_fetch(f"{V2}/upload_cookies", "POST", body=body, headers=headers)
        assert response.code == status and message in error_message(response), name
    jp_serverapp.web_app.settings["g4f_settings"].max_cookie_bytes = 10
    body, headers = multipart([("file", "big.json", b"x" * 11)])
    response = await raw_fetch(f"{V2}/upload_cookies", "POST", body=body, headers=headers)
    assert response.code == 413
    assert sorted(os.listdir(g4f_data_dir / "cookies")) == ["cookies.har"]


@pytest.mark.asyncio
async def test_share_roundtrip(error_message, raw_fetch) -> None:
    chat = {"id": "c1", "title": "t", "updated": 1700, "items": [{"role": "user", "content": "hi"}]}
    response = await raw_fetch(f"{V2}/chat/share-1", "POST", body=chat)
    assert response.code == 200 and json.loads(response.body) == {"share_id": "share-1"}
    response = await raw_fetch(f"{V2}/chat/share-1", "POST", body=chat)
    assert response.code == 400 and error_message(response) == "invalid date"
    response = await raw_fetch(f"{V2}/chat/share-1")
    assert response.code == 200 and json.loads(response.body) == chat
    for stamp in ("1700", '"1700"', 'W/"1700"'):
        response = await raw_fetch(f"{V2}/chat/share-1", headers={"If-None-Match": stamp})
        assert response.code == 304, stamp
    for stamp in ("1699", "junk", '"etag-abc"'):
        response = await raw_fetch(f"{V2}/chat/share-1", headers={"If-None-Match": stamp})
        assert response.code == 200, stamp
    response = await raw_fetch(f"{V2}/chat/missing")
    assert response.code == 404 and error_message(response)


@pytest.mark.asyncio
async def test_hostile_ids_are_400_and_write_nothing(error_message, raw_fetch, g4f_data_dir) -> None:
    before = files_under(g4f_data_dir)
    outside = set(os.listdir(g4f_data_dir.parent))
    for bad in HOSTILE:
        for path, method, body in (
            (f"{V2}/chat/{bad}", "POST", {"updated": 1, "items": []}),
            (f"{V2}/chat/{bad}", "GET", None),
            (f"{V2}/memory/{bad}", "POST", {"id": "c", "items": [{"role": "user", "content": "x"}]}),
            (f"{V2}/memory/{bad}", "GET", None),
            (f"media/{bad}", "GET", None),
        ):
            response = await raw_fetch(path, method, body=body)
            assert response.code == 400, (path, method, response.code)
            assert error_message(response).startswith("invalid")
    assert files_under(g4f_data_dir) == before  # not even the memory database was opened
    assert set(os.listdir(g4f_data_dir.parent)) == outside


@pytest.mark.asyncio
async def test_synthesize_wav_and_errors(error_message, raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/synthesize/Local?text=Hello%20world")
    assert response.code == 200 and response.headers["Content-Type"] == "audio/wav"
    assert response.body[:4] == b"RIFF" and response.body[8:12] == b"WAVE" and len(response.body) > 1000
    assert response.headers["Cache-Control"] == "max-age=604800"
    response = await raw_fetch(f"{V2}/synthesize/Gemini?text=hi&voice=en")
    assert response.code == 200 and response.body[:4] == b"RIFF"
    response = await raw_fetch(f"{V2}/synthesize/NoSuchProvider?text=hi")
    assert response.code == 404 and "NoSuchProvider" in error_message(response)
    response = await raw_fetch(f"{V2}/synthesize/OpenAI?text=hi")
    assert response.code == 501 and "cannot synthesize" in error_message(response)
    for query in ("", "?text=", "?text=%20%20"):
        response = await raw_fetch(f"{V2}/synthesize/Local{query}")
        assert response.code == 400 and "text" in error_message(response)
    response = await raw_fetch(f"{V2}/synthesize/Local?text=hi&voice=..%2Fx")
    assert response.code == 400


@pytest.mark.asyncio
async def test_media_and_tag_search(error_message, raw_fetch, g4f_data_dir, jp_base_url) -> None:
    media = g4f_data_dir / "media"
    media.mkdir(exist_ok=True)
    (media / "1700_cat+square_abc.png").write_bytes(b"\x89PNG\r\n\x1a\nA")
    (media / "1701_dog+wide_def.png").write_bytes(b"\x89PNG\r\n\x1a\nB")
    (media / "1702_cat+song_123.mp3").write_bytes(b"ID3")
    response = await raw_fetch("media/1700_cat+square_abc.png")
    assert response.code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.body == b"\x89PNG\r\n\x1a\nA"
    response = await raw_fetch("media/missing.png")
    assert response.code == 404 and error_message(response)

    async def search(query: str) -> str:
        response = await raw_fetch(f"search/{query}")
        assert response.code == 302, (query, response.code)
        return response.headers["Location"]

    prefix = f"{jp_base_url}media/"
    assert await search("image") == prefix + quote("1700_cat+square_abc.png")
    assert await search("image?skip=1") == prefix + quote("1701_dog+wide_def.png")
    assert await search("CAT+audio") == prefix + quote("1702_cat+song_123.mp3")
    assert await search("dog") == prefix + quote("1701_dog+wide_def.png")
    assert await search("image?random=7") == await search("image?random=7")
    # new files are found at once (no forever-cache)
    (media / "1703_zebra_9.webp").write_bytes(b"RIFF")
    assert await search("zebra") == prefix + quote("1703_zebra_9.webp")
    for missing in ("zzz", "image?skip=5", "cat+dog+horse"):
        response = await raw_fetch(f"search/{missing}")
        assert response.code == 404 and error_message(response), missing
    response = await raw_fetch("search/image?skip=-1")
    assert response.code == 400
    followed = await raw_fetch((await search("dog")).removeprefix(jp_base_url))
    assert followed.code == 200 and followed.body.endswith(b"B")
