"""The operator's policy: rules per hub group, admission of a turn, answer slots, budgets and listings.

Providers are real catalog files; the hub's ``/user`` API is a loopback server answering as
JupyterHub does; the second process holding an answer slot is a real Python process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from g4f_jupyter.core.events import Content, Finish, ProviderInfo, Usage
from g4f_jupyter.core.runner import ChatRequest, plan_chat
from g4f_jupyter.errors import BadRequestError, ForbiddenError, TooManyRequestsError
from g4f_jupyter.magics.info import providers_table
from g4f_jupyter.service import catalog, hub_user, usage_ledger
from g4f_jupyter.service.policy import EVERYONE, Rule, admit, current_rules, parse_policy, rules_for
from g4f_jupyter.service.stream_slots import take_slot
from g4f_jupyter.store.layout import turns_dir

STUDENTS = {"providers": ["TeamModel"], "max_streams": 2, "daily_tokens": {"TeamModel": 100}}
POLICY = {"students": STUDENTS, "staff": {}, EVERYONE: {"providers": ["TeamModel", "Cheap*"], "models": ["*-mini"]}}
NOON = datetime(2025, 3, 4, 12, 0, tzinfo=timezone.utc).timestamp()


def _provider(directory: Path, name: str, models: list[str], **extra: Any) -> None:
    """A catalog file of an OpenAI-compatible provider (never called: admission happens before)."""
    lines = [f'name = "{name}"', 'driver = "openai"', 'api_base = "http://127.0.0.1:9/v1"', f"models = {models!r}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    (directory / f"{name}.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def catalog_files(user_providers_dir: Path) -> Path:
    _provider(user_providers_dir, "TeamModel", ["team-large", "team-mini"])
    _provider(user_providers_dir, "CheapModel", ["cheap-mini", "cheap-large"])
    _provider(user_providers_dir, "Premium", ["premium-1"], order=-20, default=True)
    _provider(user_providers_dir, "Keyed", ["keyed-1"], needs_auth=True, api_key_env="KEYED_KEY")
    return user_providers_dir


@pytest.fixture
def fake_hub(loopback: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """JupyterHub's ``GET /hub/api/user`` for ``ann``: the groups to answer and the requests seen."""
    hub: dict[str, Any] = {"groups": ["students"], "requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hub["requests"] += 1
            if self.path != "/hub/api/user" or self.headers.get("Authorization") != "token ann-token":
                self.send_response(403)
                self.end_headers()
                return
            body = json.dumps({"kind": "user", "name": "ann", "groups": hub["groups"], "scopes": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    monkeypatch.setenv("JUPYTERHUB_API_URL", loopback(Handler) + "/hub/api")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "ann-token")
    monkeypatch.setenv("JUPYTERHUB_USER", "ann")
    monkeypatch.setenv("G4F_JUPYTER_POLICY", json.dumps(POLICY))
    hub_user.forget_hub_user()
    yield hub
    hub_user.forget_hub_user()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    now = {"t": NOON}
    monkeypatch.setattr(usage_ledger, "clock", lambda: now["t"])
    return now


def _request(**fields: Any) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "hi"}], **fields)


def _admit(**fields: Any) -> Any:
    return admit(_request(**fields))


def test_a_wrong_policy_names_the_key_and_the_problem() -> None:
    with pytest.raises(BadRequestError, match=r"policy\.students\.max_streams"):
        parse_policy(json.dumps({"students": {"max_streams": -1}}))
    with pytest.raises(BadRequestError, match=r"policy\.students\.budget"):
        parse_policy(json.dumps({"students": {"budget": 5}}))
    with pytest.raises(BadRequestError, match="not JSON"):
        parse_policy("{students")
    assert parse_policy("") == {}


def test_a_user_gets_their_groups_rules_else_everyones() -> None:
    policy = parse_policy(json.dumps(POLICY))
    students = rules_for(policy, {"students", "chess-club"})
    assert students is not None and [g for g, _ in students.rules] == ["students"]
    assert students.allows("TeamModel", "team-large") and not students.allows("Premium", "premium-1")
    outsider = rules_for(policy, {"chess-club"})
    assert outsider is not None and outsider.source == "everyone"
    assert outsider.allows("CheapModel", "cheap-mini") and outsider.allows("teammodel", "TEAM-MINI")  # any case
    assert not outsider.allows("CheapModel", "cheap-large")
    assert rules_for({"students": Rule()}, {"staff"}) is None  # no "*" rule: no limits


def test_the_most_generous_of_a_users_groups_wins() -> None:
    policy = {"a": Rule(providers=["X"], max_streams=2), "b": Rule(providers=["Y"], max_streams=5)}
    both = rules_for(policy, {"a", "b"})
    assert both is not None and both.allows_provider("X") and both.allows_provider("Y") and both.max_streams() == 5
    unlimited = rules_for({**policy, "c": Rule(providers=["Z"])}, {"a", "c"})
    assert unlimited is not None and unlimited.max_streams() == 0
    spent = {"X": 500}
    budgeted = {"a": Rule(daily_tokens={"X": 100}), "b": Rule(providers=["X"])}
    assert rules_for(budgeted, {"a"}).budget_spent("X", "m", spent) == ("a", "X", 100, 500)  # type: ignore[union-attr]
    assert rules_for(budgeted, {"a", "b"}).budget_spent("X", "m", spent) is None  # type: ignore[union-attr]


def test_model_patterns_match_the_model_or_provider_colon_model() -> None:
    rule = Rule(models=["gpt-4o-mini", "Team*:*", "*-8b"])
    assert rule.allows("OpenAI", "gpt-4o-mini") and rule.allows("TeamModel", "anything")
    assert rule.allows("Groq", "llama-3.1-8b") and not rule.allows("OpenAI", "gpt-4o")


def test_groups_come_from_the_hub_once_a_minute(
    catalog_files: Path, fake_hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = current_rules()
    assert rules is not None and rules.source == "group 'students'"
    current_rules()
    assert fake_hub["requests"] == 1  # kept, not asked per request
    fake_hub["groups"] = ["staff"]
    monkeypatch.setattr(hub_user, "FRESH_SECONDS", 0.0)
    current_rules()  # stale: answered from what is known while the hub is asked again
    for _ in range(100):
        if (rules := current_rules()) is not None and rules.source == "group 'staff'":
            break
        time.sleep(0.02)
    assert rules is not None and rules.source == "group 'staff'"


def test_a_token_of_another_user_is_not_believed(fake_hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    with pytest.raises(hub_user.HubUnreachableError, match="belongs to 'ann'"):
        hub_user.hub_user()
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "forged")
    with pytest.raises(hub_user.HubUnreachableError) as refused:
        hub_user.hub_user()
    assert refused.value.status == 503


def test_a_forbidden_provider_is_refused_naming_the_policy(catalog_files: Path, fake_hub: dict[str, Any]) -> None:
    with pytest.raises(ForbiddenError) as refused:
        _admit(provider="Premium")
    assert refused.value.status == 403
    assert str(refused.value) == (
        "g4f policy (group 'students'): provider 'Premium' is not allowed; allowed: TeamModel"
    )
    with pytest.raises(ForbiddenError, match="not allowed"):
        _admit(model="premium-1")
    with pytest.raises(ForbiddenError, match="provider 'Keyed' is not allowed"):
        _admit(provider="Keyed")  # a 403, not the 401 of its missing key: the policy comes first
    with pytest.raises(ForbiddenError, match="provider 'Premium' is not allowed"):
        _admit(model="Premium:premium-1")
    assert [c.provider.name for c in _admit(provider="TeamModel", model="team-large").candidates] == ["TeamModel"]


def test_automatic_choice_skips_what_the_policy_forbids(catalog_files: Path, fake_hub: dict[str, Any]) -> None:
    assert plan_chat(_request())[0].provider.name == "Premium"  # the catalog's default
    admitted = _admit()
    assert [c.provider.name for c in admitted.candidates] == ["TeamModel"]


def test_models_of_an_allowed_provider_can_be_restricted(
    catalog_files: Path, fake_hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub["groups"] = ["visitors"]  # none of the policy's groups: the "*" rule
    with pytest.raises(ForbiddenError) as refused:
        _admit(provider="CheapModel", model="cheap-large")
    assert "model 'cheap-large' of CheapModel is not allowed; allowed: *-mini" in str(refused.value)
    assert _admit(provider="CheapModel", model="cheap-mini").candidates[0].model == "cheap-mini"


def test_a_third_answer_over_a_limit_of_two_waits(catalog_files: Path, fake_hub: dict[str, Any]) -> None:
    first, second = _admit(), _admit()
    with pytest.raises(TooManyRequestsError) as refused:
        _admit()
    assert refused.value.status == 429 and refused.value.retry_after == 5
    assert "at most 2 answers at a time" in str(refused.value)
    assert first.slot is not None
    first.slot.release()
    third = _admit()
    assert third.slot is not None and second.slot is not None


def test_answer_slots_are_shared_with_another_process_and_freed_when_it_dies(
    catalog_files: Path, fake_hub: dict[str, Any]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "from g4f_jupyter.service.stream_slots import take_slot\n"
         "slot = take_slot(2); print('held', flush=True); input()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        mine = _admit()
        with pytest.raises(TooManyRequestsError):
            _admit()  # the kernel's answer and the server's fill the two slots
    finally:
        holder.kill()
        holder.wait()
    assert _admit().slot is not None and mine.slot is not None  # the dead process's slot is free again


def test_no_policy_takes_no_slot_and_limits_nothing(catalog_files: Path) -> None:
    admissions = [_admit(provider="Premium") for _ in range(5)]
    assert all(a.slot is None for a in admissions)
    assert take_slot(1) is not None


def test_a_spent_budget_refuses_until_the_next_utc_day(
    catalog_files: Path, fake_hub: dict[str, Any], clock: dict[str, float]
) -> None:
    usage_ledger.record_turn("TeamModel", "team-large", 60, False)
    assert _admit().candidates  # 60 of 100
    usage_ledger.record_turn("TeamModel", "team-large", 45, True)
    with pytest.raises(TooManyRequestsError) as refused:
        _admit()
    assert refused.value.retry_after == 12 * 3600  # noon to midnight UTC
    assert str(refused.value) == (
        "g4f policy (group 'students'): the daily token budget for TeamModel is spent (105 of 100 tokens today); "
        "it renews at 00:00 UTC"
    )
    clock["t"] += 12 * 3600 - 1
    with pytest.raises(TooManyRequestsError) as still:
        _admit()
    assert still.value.retry_after == 1
    clock["t"] += 1
    assert _admit().candidates[0].provider.name == "TeamModel"


@pytest.mark.asyncio
async def test_every_turn_is_recorded_and_a_stopped_one_is_estimated(
    catalog_files: Path, clock: dict[str, float]
) -> None:
    async def answer(stopped: bool) -> Any:
        yield ProviderInfo(name="TeamModel", model="team-mini")
        yield Content("x" * 40)
        yield Content("never read" if stopped else "")
        yield Usage(10, 20, 30, extra={"provider": "TeamModel", "model": "team-mini"})
        yield Finish("stop")

    request = _request()
    admission = admit(request)
    events = [e async for e in admission.metered(answer(False), request)]
    assert len(events) == 5
    stopped = admission.metered(answer(True), request)
    async for event in stopped:
        if isinstance(event, Content):
            break  # the reader stops after the first text, as Stop does
    await stopped.aclose()
    totals = usage_ledger.day_totals(usage_ledger.day_of(NOON))
    assert totals["TeamModel"].requests == 2
    assert totals["TeamModel"].tokens == 30 + (1 + 10)  # "hi" and 40 characters, estimated


def test_day_totals_read_only_whole_lines_and_only_what_is_new(catalog_files: Path, clock: dict[str, float]) -> None:
    usage_ledger.record_turn("A", "m", 5, False)
    day = usage_ledger.day_of(NOON)
    path = turns_dir() / f"{day}.jsonl"
    with path.open("ab") as file:
        file.write(b'{"provider": "A", "tok')  # a line another process is still writing
    assert usage_ledger.day_totals(day)["A"].tokens == 5
    with path.open("ab") as file:
        file.write(b'ens": 7}\n')
    assert usage_ledger.day_totals(day)["A"].tokens == 12
    assert usage_ledger.day_totals("2025-03-05") == {}


def test_listings_show_only_what_the_user_may_use(
    catalog_files: Path, fake_hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [p["name"] for p in catalog.list_providers()] == ["TeamModel"]
    assert {m["name"] for m in catalog.list_models()} == {"team-large", "team-mini"}
    assert [c.name for c in catalog.provider_choices()] == ["TeamModel"]
    with pytest.raises(ForbiddenError):
        catalog.provider_choice("Premium")
    plain, markdown = providers_table()  # %g4f list
    assert "TeamModel" in plain and "Premium" not in plain and "Local" not in markdown
    fake_hub["groups"] = []
    hub_user.forget_hub_user()
    assert {m["name"] for m in catalog.list_models()} == {"team-mini", "cheap-mini"}


@pytest.mark.asyncio
async def test_provider_models_of_a_forbidden_provider_are_empty(
    catalog_files: Path, fake_hub: dict[str, Any]
) -> None:
    assert await catalog.provider_models("Premium") == []
    assert [e["id"] for e in await catalog.provider_models("TeamModel")] == ["team-large", "team-mini"]
    assert {e["id"] for e in await catalog.provider_models("AnyProvider")} == {"team-large", "team-mini"}
