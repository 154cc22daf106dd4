"""The provider catalog: shipped TOML files, user files that add or override, live re-reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from g4f_jupyter.core.drivers.local import LocalProvider
from g4f_jupyter.core.drivers.openai import OpenAIProvider
from g4f_jupyter.core.provider import Provider
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.errors import ProviderNotFoundError

SHIPPED = [
    "Local", "OpenAI", "Groq", "OpenRouter", "Ollama", "LMStudio", "vLLM", "LlamaCppServer", "Custom", "BackendApi",
]


class EchoDriver(OpenAIProvider):
    """A user driver named as ``module:Class``."""


class NotAProvider:
    pass


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, "utf-8")
    return path


def test_shipped_catalog(user_providers_dir: Path) -> None:
    registry = get_registry()
    assert set(SHIPPED) <= set(registry.names)
    assert registry.default_name == "Local" and registry.names[0] == "Local"
    assert registry.errors == []
    assert isinstance(registry.get("Local"), LocalProvider)
    assert isinstance(registry.get("groq"), OpenAIProvider)  # names match case-insensitively
    assert registry.get("Groq") is registry.get("groq")  # one instance per spec
    assert registry.get("Local").default_model == "SmolLM2-135M-Instruct"
    assert all(isinstance(p, Provider) for p in registry.providers())


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ProviderNotFoundError) as info:
        get_registry().get("Nope")
    assert "Local" in str(info.value) and info.value.status == 404


def test_user_file_adds_and_overrides(user_providers_dir: Path) -> None:
    mine = 'name = "Mine"\ndriver = "openai"\napi_base = "http://127.0.0.1:1/v1"\nmodels = ["m1"]\n'
    _write(user_providers_dir, "mine.toml", mine)
    _write(user_providers_dir, "groq.toml", 'name = "groq"\nlabel = "My Groq"\ndriver = "openai"\nmodels = ["mine"]\n')
    registry = get_registry()
    assert registry.get("Mine").models == ["m1"]
    assert registry.get("Groq").label == "My Groq"  # the user file replaced the shipped one
    assert registry.get("Groq").models == ["mine"]
    assert [n for n in registry.names if n.lower() == "groq"] == ["groq"]


def test_broken_user_files_are_reported_and_hide_nothing(user_providers_dir: Path) -> None:
    _write(user_providers_dir, "bad.toml", "name = [unclosed\n")
    _write(user_providers_dir, "keys.toml", 'name = "Keys"\ndriver = "openai"\nflavour = "x"\n')
    _write(user_providers_dir, "models.toml", 'name = "Models"\ndriver = "openai"\nmodels = 5\n')
    _write(user_providers_dir, "gone.toml", 'name = "Gone"\ndriver = "no_such_module_xyz:Driver"\n')
    _write(user_providers_dir, "spaced.toml", 'name = "My Provider"\ndriver = "openai"\n')
    _write(user_providers_dir, "good.toml", 'name = "Good"\ndriver = "openai"\nmodels = ["g"]\n')
    registry = get_registry()
    text = "\n".join(registry.errors)
    assert all(part in text for part in ("bad.toml", "keys.toml", "flavour", "models.toml", "spaced.toml"))
    assert "My Provider" not in registry.names
    assert "Good" in registry.names and "Local" in registry.names
    names = [p.name for p in registry.providers()]  # a driver that cannot load is skipped and reported
    assert "Good" in names and "Local" in names and "Gone" not in names
    assert any("no_such_module_xyz" in e for e in registry.errors)


def test_new_and_changed_files_are_seen_without_restart(user_providers_dir: Path) -> None:
    first = get_registry()
    assert "Later" not in first.names
    path = _write(user_providers_dir, "later.toml", 'name = "Later"\ndriver = "openai"\nmodels = ["a"]\n')
    assert get_registry().get("Later").models == ["a"]
    _write(user_providers_dir, "later.toml", 'name = "Later"\ndriver = "openai"\nmodels = ["a", "b"]\n')
    os.utime(path, ns=(1, 1))  # even with an unchanged mtime a new size is noticed
    assert get_registry().get("Later").models == ["a", "b"]
    path.unlink()
    assert "Later" not in get_registry().names


def test_unknown_driver_is_rejected(user_providers_dir: Path) -> None:
    _write(user_providers_dir, "odd.toml", 'name = "Odd"\ndriver = "telepathy"\n')
    registry = get_registry()
    assert "Odd" not in registry.names
    assert any("odd.toml" in e and "driver" in e for e in registry.errors)


def test_module_class_driver(user_providers_dir: Path) -> None:
    _write(user_providers_dir, "echo.toml", f'name = "Echo"\ndriver = "{__name__}:EchoDriver"\nmodels = ["e"]\n')
    _write(user_providers_dir, "wrong.toml", f'name = "Wrong"\ndriver = "{__name__}:NotAProvider"\n')
    registry = get_registry()
    echo = registry.get("Echo")
    assert type(echo) is EchoDriver and echo.spec.source.endswith("echo.toml")
    assert "Wrong" not in [p.name for p in registry.providers()]
    assert any("not a Provider" in e for e in registry.errors)


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        ('order = "x"', "order", "valid integer"),
        ("order = true", "order", "valid integer"),
        ("default = 1", "default", "valid boolean"),
        ("models = 5", "models", "list of strings"),
        ('models = ["a", 2]', "models.1", "valid string"),
        ("headers = { a = 1 }", "headers.a", "valid string"),
        ("context_tokens = 1.5", "context_tokens", "valid integer"),
        ("label = []", "label", "valid string"),
        ("settings = 3", "settings", "valid dictionary"),
    ],
)
def test_wrong_value_types_are_reported_and_hide_nothing(
    user_providers_dir: Path, line: str, key: str, words: str
) -> None:
    _write(user_providers_dir, "typo.toml", f'name = "Typo"\ndriver = "openai"\n{line}\n')
    _write(user_providers_dir, "fine.toml", 'name = "Fine"\ndriver = "openai"\norder = 5\nmodels = ["f"]\n')
    registry = get_registry()
    [error] = [e for e in registry.errors if "typo.toml" in e]
    assert f"{key}: " in error and words in error
    assert "Typo" not in registry.names
    assert registry.get("Fine").models == ["f"] and registry.get("Fine").spec.order == 5
    assert "Local" in registry.names and registry.default_name == "Local"


def test_every_shipped_provider_file_passes_the_schema() -> None:
    from g4f_jupyter.config import catalog_dir
    from g4f_jupyter.core.registry import load_spec

    for path in sorted(catalog_dir().glob("*.toml")):
        spec = load_spec(path)
        assert spec.name == path.stem and isinstance(spec.models, tuple)
