"""The operator's policy through the HTTP routes of a real server: set as ``c.G4FSettings.policy``,
outside a hub the ``"*"`` rule is the single user's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from g4f_jupyter.service import usage_ledger

V2 = "backend-api/v2"
POLICY = {"*": {"providers": ["TeamModel"], "daily_tokens": {"Team*": 50}}}


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}}, "G4FSettings": {"policy": POLICY}}


@pytest.fixture
def team_model(user_providers_dir: Path) -> None:
    for name, models in (("TeamModel", ["team-1"]), ("Premium", ["premium-1"])):
        (user_providers_dir / f"{name}.toml").write_text(
            f'name = "{name}"\ndriver = "openai"\napi_base = "http://127.0.0.1:9/v1"\nmodels = {models!r}\n'
        )


def _chat(provider: str | None = None) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}], "provider": provider}


@pytest.mark.asyncio
async def test_listings_show_only_the_allowed_provider(raw_fetch: Any, team_model: None) -> None:
    providers = json.loads((await raw_fetch(f"{V2}/providers")).body)
    assert [p["name"] for p in providers] == ["TeamModel"]
    models = json.loads((await raw_fetch(f"{V2}/models")).body)
    assert [m["name"] for m in models] == ["team-1"]
    assert json.loads((await raw_fetch(f"{V2}/models/Premium")).body) == []
    assert json.loads((await raw_fetch(f"{V2}/models/Local")).body) == []


@pytest.mark.asyncio
async def test_another_provider_is_a_403_naming_the_policy(
    raw_fetch: Any, error_message: Any, team_model: None
) -> None:
    for body in (_chat("Premium"), _chat("Local"), {**_chat(), "model": "premium-1"}):
        response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
        assert response.code == 403, body
        assert error_message(response).startswith("g4f policy (everyone): ")
        assert "allowed: TeamModel" in error_message(response)
    refused = await raw_fetch(f"{V2}/create?prompt=hi&provider=Premium")
    assert refused.code == 403 and "g4f policy" in error_message(refused)


@pytest.mark.asyncio
async def test_a_spent_budget_is_a_429_with_retry_after(raw_fetch: Any, error_message: Any, team_model: None) -> None:
    usage_ledger.record_turn("TeamModel", "team-1", 50, False)  # what earlier turns of this user cost today
    response = await raw_fetch(f"{V2}/conversation", "POST", body=_chat("TeamModel"))
    assert response.code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 24 * 3600
    assert "daily token budget for Team* is spent (50 of 50 tokens today)" in error_message(response)
    automatic = await raw_fetch(f"{V2}/create?prompt=hi")
    assert automatic.code == 429 and automatic.headers["Retry-After"] == response.headers["Retry-After"]


def test_a_wrong_policy_stops_the_settings_with_its_key() -> None:
    from traitlets import TraitError
    from traitlets.config import Config

    from g4f_jupyter.server_ext.settings import G4FSettings

    config = Config({"G4FSettings": {"policy": {"students": {"max_streams": "two"}}}})
    with pytest.raises(TraitError, match=r"c\.G4FSettings\.policy\.students\.max_streams"):
        G4FSettings(config=config)
    settings = G4FSettings(config=Config({"G4FSettings": {"policy": POLICY}}))
    assert json.loads(settings.operator_settings().policy) == POLICY
