"""/version, /models, /models/<provider> and /providers against the real server."""

from __future__ import annotations

import json

import pytest

import g4f_jupyter

V2 = "backend-api/v2"


@pytest.mark.asyncio
async def test_version_reports_installed_and_never_fails(raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/version")
    assert response.code == 200
    data = json.loads(response.body)
    assert data["version"] == g4f_jupyter.__version__
    assert "latest_version" in data and (data["latest_version"] is None or isinstance(data["latest_version"], str))


@pytest.mark.asyncio
async def test_models_list_has_local_default(raw_fetch) -> None:
    data = json.loads((await raw_fetch(f"{V2}/models")).body)
    by_name = {entry["name"]: entry for entry in data}
    local = by_name["SmolLM2-135M-Instruct"]
    assert local["providers"] == ["Local"]
    assert set(local) >= {"name", "image", "vision", "audio", "video", "providers"}
    assert "demo" not in local
    assert "OpenAI" in by_name["gpt-4o"]["providers"] and by_name["gpt-4o"]["vision"] is True


@pytest.mark.asyncio
async def test_provider_models_entries_carry_model_and_id(raw_fetch) -> None:
    data = json.loads((await raw_fetch(f"{V2}/models/Local")).body)
    assert data == [
        {"model": "SmolLM2-135M-Instruct", "id": "SmolLM2-135M-Instruct", "label": "SmolLM2-135M-Instruct",
         "default": True, "image": False, "vision": False, "audio": False, "video": False, "count": None}
    ]


@pytest.mark.asyncio
async def test_unknown_provider_models_is_empty_list(raw_fetch) -> None:
    response = await raw_fetch(f"{V2}/models/NoSuchProvider")
    assert response.code == 200 and json.loads(response.body) == []


@pytest.mark.asyncio
async def test_live_models_without_key_fall_back_to_catalog(raw_fetch, user_providers_dir) -> None:
    (user_providers_dir / "Keyed.toml").write_text(
        'name = "Keyed"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\napi_key_env = "G4F_TEST_UNSET_KEY"\n'
        'needs_auth = true\nlive_models = true\ndefault_model = "k-1"\nmodels = ["k-1", "k-2"]\n'
    )
    response = await raw_fetch(f"{V2}/models/Keyed")
    assert response.code == 200
    assert [(e["id"], e["default"]) for e in json.loads(response.body)] == [("k-1", True), ("k-2", False)]
    # with a key the live listing is tried: the closed port fails fast and the catalog stands in
    response = await raw_fetch(f"{V2}/models/Keyed", headers={"x_api_key": "sk-test"})
    assert [e["model"] for e in json.loads(response.body)] == ["k-1", "k-2"]


@pytest.mark.asyncio
async def test_providers_list_shape(raw_fetch) -> None:
    data = {p["name"]: p for p in json.loads((await raw_fetch(f"{V2}/providers")).body)}
    assert data["Local"] == {
        "name": "Local", "label": "Local (embedded SmolLM2)", "parent": None, "image": 0, "vision": False,
        "audio": 0, "video": 0, "nodriver": False, "hf_space": False, "auth": False, "login_url": None,
        "active_by_default": True,
    }
    assert data["OpenAI"]["auth"] is True and data["OpenAI"]["vision"] is True
    assert data["OpenAI"]["login_url"].startswith("https://")


@pytest.mark.asyncio
async def test_demo_mode_offers_only_demo_models(raw_fetch, jp_serverapp) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].demo_mode = True
    models = json.loads((await raw_fetch(f"{V2}/models")).body)
    assert models and all(m["demo"] is True and m["providers"] == ["Local"] for m in models)
    providers = json.loads((await raw_fetch(f"{V2}/providers")).body)
    assert [p["name"] for p in providers] == ["Local"]


@pytest.mark.asyncio
async def test_demo_mode_pins_the_demo_provider(error_message, raw_fetch, jp_serverapp) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].demo_mode = True
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    assert response.code == 404 and "Local has no model 'gpt-4o'" in error_message(response)


def test_query_booleans_parse_properly() -> None:
    from g4f_jupyter.errors import BadRequestError
    from g4f_jupyter.service.query import bool_or_text, parse_bool

    assert [parse_bool(v) for v in ("false", "0", "no", "off", "FALSE")] == [False] * 5
    assert [parse_bool(v) for v in ("true", "1", "yes", "on", "True")] == [True] * 5
    assert parse_bool(None, True) is True and parse_bool("", True) is True
    with pytest.raises(BadRequestError):
        parse_bool("maybe")
    assert (bool_or_text("off"), bool_or_text("1"), bool_or_text("python")) == (False, True, "python")
