"""The chat runner: resolution, fallback, errors as events, usage and the protocol's event order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from g4f_jupyter.core.events import Auth, Content, Error, Event, Finish, Log, Parameters, ProviderInfo, Reasoning, Usage
from g4f_jupyter.core.provider import ChatMessage, Provider
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.core.runner import ChatRequest, plan_chat, raise_for_event, run_chat
from g4f_jupyter.errors import G4FError, MissingAuthError, ModelNotFoundError, ProviderHTTPError, ProviderNotFoundError

MESSAGES = [{"role": "user", "content": "hello there"}]


class Scripted(Provider):
    """Plays ``settings.script``: text chunks, then optionally raises ``settings.fail``."""

    calls: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []

    def parameters(self) -> dict[str, Any] | None:
        return self.spec.settings.get("parameters")

    async def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncIterator[Event]:
        Scripted.calls.append((self.name, model, kwargs))
        settings = self.spec.settings
        for item in settings.get("script", ()):
            if item == "usage":
                yield Usage(11, 22, 33)
            elif item == "finish":
                yield Finish("length")
            elif item == "log":
                yield Log(f"{self.name} says hi")
            elif item == "think":
                yield Reasoning(token="hmm")
            else:
                yield Content(item)
        fail = settings.get("fail")
        if fail == "auth":
            raise MissingAuthError(f"{self.name} wants a key")
        if fail == "http401":
            raise ProviderHTTPError(401, "bad key", self.name)
        if fail == "http500":
            raise ProviderHTTPError(500, "overloaded", self.name)
        if fail:
            raise RuntimeError(fail)


def _value(value: Any) -> str:
    """A TOML literal (json spells strings, numbers and arrays the TOML way)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _toml(directory: Path, name: str, order: int, **settings: Any) -> None:
    lines = [f'name = "{name}"', f'driver = "{__name__}:Scripted"', f"order = {order}"]
    for key in ("models", "needs_auth", "api_key_env", "default", "default_model"):
        if key in settings:
            lines.append(f"{key} = {_value(settings.pop(key))}")
    lines.append("[settings]")
    lines.extend(f"{key} = {_value(value)}" for key, value in settings.items())
    (directory / f"{name}.toml").write_text("\n".join(lines) + "\n", "utf-8")


async def _collect(request: ChatRequest) -> list[Event]:
    return [event async for event in run_chat(request)]


def _kinds(events: list[Event]) -> list[str]:
    return [e.type for e in events]


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    Scripted.calls.clear()


# --- resolution ---------------------------------------------------------------------------


def test_provider_colon_model_and_bare_model(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["shared", "a-only"], script=["a"])
    _toml(user_providers_dir, "Beta", -4, models=["shared", "b:tagged"], script=["b"])
    registry = get_registry()
    [c] = plan_chat(ChatRequest(MESSAGES, model="Beta:shared"))
    assert (c.provider.name, c.model) == ("Beta", "shared")
    assert [(c.provider.name, c.model) for c in plan_chat(ChatRequest(MESSAGES, model="shared"))] == [
        ("Alpha", "shared"),
        ("Beta", "shared"),
    ]
    # a model id containing a colon that is not a provider name stays a model id
    tagged = plan_chat(ChatRequest(MESSAGES, model="b:tagged"))
    assert [(c.provider.name, c.model) for c in tagged] == [("Beta", "b:tagged")]
    [c] = plan_chat(ChatRequest(MESSAGES, provider="alpha"))
    assert (c.provider.name, c.model) == ("Alpha", "shared")  # the provider's default (first listed) model
    [c] = plan_chat(ChatRequest(MESSAGES), registry)
    assert (c.provider.name, c.model) == ("Local", "SmolLM2-135M-Instruct")


def test_ignored_providers_are_skipped(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["shared"])
    _toml(user_providers_dir, "Beta", -4, models=["shared"])
    names = [c.provider.name for c in plan_chat(ChatRequest(MESSAGES, model="shared", ignored=("ALPHA",)))]
    assert names == ["Beta"]
    with pytest.raises(ModelNotFoundError):
        plan_chat(ChatRequest(MESSAGES, model="shared", ignored=("Alpha", "Beta")))


def test_bad_input_raises_before_streaming(user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _toml(user_providers_dir, "Keyed", -5, models=["k"], needs_auth=True, api_key_env="KEYED_TEST_KEY")
    monkeypatch.delenv("KEYED_TEST_KEY", raising=False)
    with pytest.raises(ProviderNotFoundError):
        plan_chat(ChatRequest(MESSAGES, provider="Nope"))
    with pytest.raises(ModelNotFoundError) as info:
        plan_chat(ChatRequest(MESSAGES, provider="Keyed", model="other"))
    assert "k" in str(info.value)
    with pytest.raises(ModelNotFoundError):
        plan_chat(ChatRequest(MESSAGES, model="no-such-model-anywhere"))
    with pytest.raises(MissingAuthError) as auth:
        plan_chat(ChatRequest(MESSAGES, provider="Keyed"))
    assert "KEYED_TEST_KEY" in str(auth.value)
    assert plan_chat(ChatRequest(MESSAGES, provider="Keyed", api_key="sk-x"))[0].provider.name == "Keyed"
    with pytest.raises(MissingAuthError):  # keys per provider: only the chosen provider's entry counts
        plan_chat(ChatRequest(MESSAGES, provider="Keyed", api_key={"Other": "sk-x"}))
    assert plan_chat(ChatRequest(MESSAGES, provider="Keyed", api_key={"keyed": "sk-x"}))[0].provider.name == "Keyed"
    monkeypatch.setenv("KEYED_TEST_KEY", "from-env")
    assert get_registry().get("Keyed").api_key() == "from-env"


def test_a_failed_stream_raises_with_the_status_it_would_have_had() -> None:
    cases = [
        (Auth(message="no key"), 401),
        (Error(error="ModelNotFoundError", message="m"), 404),
        (Error(error="BadRequestError", message="m"), 400),
        (Error(error="ProviderUnreachableError", message="m"), 502),
        (Error(error="ProviderHTTPError", message="m"), 502),
        (Error(error="RuntimeError", message="m"), 502),
    ]
    for event, status in cases:
        with pytest.raises(G4FError) as failure:
            raise_for_event(event)
        assert failure.value.status == status, event
    raise_for_event(Content("fine"))  # any other event raises nothing


@pytest.mark.asyncio
async def test_planning_errors_inside_run_chat_become_events() -> None:
    events = await _collect(ChatRequest(MESSAGES, provider="Nope"))
    assert len(events) == 1 and isinstance(events[0], Error) and events[0].error == "ProviderNotFoundError"


# --- streaming, order, usage ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_order_and_estimated_usage(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["m"], script=["log", "think", "Hel", "lo"], parameters={"t": 1})
    events = await _collect(ChatRequest(MESSAGES, provider="Alpha", options={"temperature": 0.5}))
    assert _kinds(events) == ["provider", "parameters", "reasoning", "content", "content", "usage", "finish", "log"]
    assert events[0] == ProviderInfo(name="Alpha", model="m", label="Alpha", url="")
    assert events[1] == Parameters({"t": 1})
    usage = events[5]
    assert isinstance(usage, Usage) and usage.estimated
    assert usage.prompt_tokens == 3 and usage.completion_tokens == 2  # len("hello there")/4, len("Hello")/4 rounded up
    assert usage.extra == {"model": "m", "provider": "Alpha"}
    assert events[6] == Finish("stop") and events[7] == Log("Alpha says hi")
    assert Scripted.calls[0][2]["temperature"] == 0.5


@pytest.mark.asyncio
async def test_provider_usage_and_finish_pass_through(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["m"], script=["x", "usage", "finish"])
    events = await _collect(ChatRequest(MESSAGES, provider="Alpha"))
    assert _kinds(events) == ["provider", "content", "usage", "finish"]
    assert events[2] == Usage(11, 22, 33, extra={"model": "m", "provider": "Alpha"})
    assert events[3] == Finish("length")


@pytest.mark.asyncio
async def test_fallback_before_first_content(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["shared"], script=["usage", "log"], fail="upstream down")
    _toml(user_providers_dir, "Beta", -4, models=["shared"], script=["answer"])
    events = await _collect(ChatRequest(MESSAGES, model="shared"))
    assert _kinds(events) == ["provider", "provider", "content", "usage", "finish", "log", "log"]
    assert [e.name for e in events if isinstance(e, ProviderInfo)] == ["Alpha", "Beta"]
    usage = events[3]
    assert isinstance(usage, Usage) and usage.estimated and usage.extra["provider"] == "Beta"  # Alpha's figures dropped
    logs = [e.log for e in events if isinstance(e, Log)]
    assert logs == ["Alpha says hi", "Alpha: RuntimeError: upstream down"]


@pytest.mark.asyncio
async def test_error_after_content_stops(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["shared"], script=["partial"], fail="cut off")
    _toml(user_providers_dir, "Beta", -4, models=["shared"], script=["never"])
    events = await _collect(ChatRequest(MESSAGES, model="shared"))
    assert _kinds(events) == ["provider", "content", "error"]
    assert events[2] == Error(error="RuntimeError", message="RuntimeError: cut off")
    assert [c[0] for c in Scripted.calls] == ["Alpha"]


@pytest.mark.asyncio
async def test_all_fail_gives_last_error_then_logs(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["shared"], fail="one")
    _toml(user_providers_dir, "Beta", -4, models=["shared"], fail="http500")
    events = await _collect(ChatRequest(MESSAGES, model="shared"))
    assert _kinds(events) == ["provider", "provider", "error", "log", "log"]
    error = events[2]
    assert isinstance(error, Error) and error.error == "ProviderHTTPError" and "HTTP 500" in error.message


@pytest.mark.asyncio
@pytest.mark.parametrize("fail", ["auth", "http401"])
async def test_auth_failures_become_auth_events(user_providers_dir: Path, fail: str) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["m"], fail=fail)
    events = await _collect(ChatRequest(MESSAGES, provider="Alpha"))
    assert _kinds(events) == ["provider", "auth", "log"]
    assert isinstance(events[1], Auth) and events[1].auth == "MissingAuthError"
    assert ("wants a key" if fail == "auth" else "HTTP 401") in events[1].message


@pytest.mark.asyncio
async def test_error_event_from_provider_ends_stream(user_providers_dir: Path) -> None:
    class_path = f"{__name__}:ErrorYielder"
    (user_providers_dir / "E.toml").write_text(f'name = "E"\ndriver = "{class_path}"\nmodels = ["m"]\n', "utf-8")
    events = await _collect(ChatRequest(MESSAGES, provider="E"))
    assert _kinds(events) == ["provider", "content", "error", "log"]


class ErrorYielder(Provider):
    async def create_async_generator(
        self, model: str, messages: list[ChatMessage], **kwargs: Any
    ) -> AsyncIterator[Event]:
        yield Log("before")
        yield Content("a")
        yield Error(error="Quota", message="Quota: used up")
        yield Content("never seen")


class SyncRaiser(Provider):
    """A driver whose method raises before returning a generator."""

    def create_async_generator(self, model: str, messages: list[ChatMessage], **kwargs: Any) -> AsyncIterator[Event]:
        raise MissingAuthError("sync raise")


@pytest.mark.asyncio
async def test_exception_raised_before_the_generator_is_an_event(user_providers_dir: Path) -> None:
    toml = f'name = "S"\ndriver = "{__name__}:SyncRaiser"\nmodels = ["m"]\n'
    (user_providers_dir / "S.toml").write_text(toml, "utf-8")
    events = await _collect(ChatRequest(MESSAGES, provider="S"))
    assert _kinds(events) == ["provider", "auth", "log"]


@pytest.mark.asyncio
async def test_media_and_options_reach_the_provider(user_providers_dir: Path) -> None:
    _toml(user_providers_dir, "Alpha", -5, models=["m"], script=["ok"])
    request = ChatRequest(MESSAGES, provider="Alpha", api_key="k1", media=[(b"png", "a.png")], options={"seed": 3})
    await _collect(request)
    _, _, kwargs = Scripted.calls[0]
    assert kwargs == {"api_key": "k1", "api_base": None, "media": [(b"png", "a.png")], "seed": 3}
