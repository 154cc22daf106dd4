"""``/backend-api/v2/keys``: the page's key settings, stored 0600 in the data directory."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from echo_peer import add_echo_provider
from tornado.httpclient import HTTPResponse

Fetch = Callable[..., Any]


@pytest.fixture
def keyed_provider(user_providers_dir: Path) -> str:
    add_echo_provider(user_providers_dir, "Keyed", "http://127.0.0.1:9/v1", needs_key=True)
    return "Keyed"


def key_file(data_dir: Path, provider: str) -> Path:
    return data_dir / "cookies" / f"api_key_{provider}.json"


def settings_of(response: HTTPResponse, name: str) -> dict[str, Any]:
    assert response.code == 200
    return next(entry for entry in json.loads(response.body) if entry["name"] == name)


@pytest.mark.asyncio
async def test_a_key_is_stored_0600_listed_without_its_value_and_removed(
    raw_fetch: Fetch, keyed_provider: str, g4f_data_dir: Path
) -> None:
    before = settings_of(await raw_fetch("backend-api/v2/keys"), keyed_provider)
    assert before == {"name": "Keyed", "label": "Keyed", "needs_auth": True, "stored": False,
                      "variable": "KEYED_API_KEY", "variable_set": False}
    saved = await raw_fetch("backend-api/v2/keys/keyed", "POST", {"api_key": "sk-test-123"})
    assert saved.code == 200 and json.loads(saved.body) == {"message": "API key for Keyed stored"}
    path = key_file(g4f_data_dir, "Keyed")
    assert json.loads(path.read_text()) == {"api_key": "sk-test-123"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no temporary file left behind"
    listing = await raw_fetch("backend-api/v2/keys")
    assert settings_of(listing, "Keyed")["stored"] is True
    assert b"sk-test-123" not in listing.body

    removed = await raw_fetch("backend-api/v2/keys/Keyed", "DELETE")
    assert removed.code == 200 and not path.exists()
    again = await raw_fetch("backend-api/v2/keys/Keyed", "DELETE")
    assert again.code == 404 and "no stored API key" in json.loads(again.body)["error"]["message"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "two words"}, "printable ASCII"),
        ({"api_key": "line\nbreak"}, "printable ASCII"),
        ({"api_key": 5}, "api_key"),
        ({"api_key": "k" * 5000}, "api_key"),
        ({"key": "x"}, "api_key is required"),
        (["x"], "JSON object"),
    ],
)
async def test_bad_keys_are_400_and_store_nothing(
    raw_fetch: Fetch, keyed_provider: str, g4f_data_dir: Path, body: Any, wanted: str
) -> None:
    response = await raw_fetch("backend-api/v2/keys/Keyed", "POST", body)
    assert response.code == 400
    assert wanted in json.loads(response.body)["error"]["message"]
    assert not key_file(g4f_data_dir, "Keyed").exists()


@pytest.mark.asyncio
async def test_unknown_or_keyless_providers_and_bad_names(raw_fetch: Fetch, g4f_data_dir: Path) -> None:
    unknown = await raw_fetch("backend-api/v2/keys/Nobody", "POST", {"api_key": "k"})
    assert unknown.code == 404 and "unknown provider" in json.loads(unknown.body)["error"]["message"]
    local = await raw_fetch("backend-api/v2/keys/Local", "POST", {"api_key": "k"})
    assert local.code == 400 and "takes no API key" in json.loads(local.body)["error"]["message"]
    traversal = await raw_fetch("backend-api/v2/keys/..%2Fx", "POST", {"api_key": "k"})
    assert traversal.code in (400, 404)
    assert not list((g4f_data_dir / "cookies").glob("*")) if (g4f_data_dir / "cookies").exists() else True


@pytest.mark.asyncio
async def test_keys_need_login_and_xsrf(raw_fetch: Fetch, keyed_provider: str) -> None:
    anonymous = await raw_fetch("backend-api/v2/keys", auth=False)
    assert anonymous.code == 403
    post = await raw_fetch("backend-api/v2/keys/Keyed", "POST", {"api_key": "k"}, auth=False)
    assert post.code == 403
    assert "KEYED_API_KEY" not in os.environ
