"""The extension as a jupyter_server ExtensionApp: settings from config and environment, exported
to kernels; stale temporary files swept at start; pooled connections closed at stop."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from g4f_jupyter.core.drivers import http, local
from g4f_jupyter.server_ext.app import G4FJupyterApp
from g4f_jupyter.service.settings import current_settings


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}},
        "G4FSettings": {"default_provider": "Ollama", "max_file_bytes": 1234, "demo_mode": True},
    }


def the_app(serverapp: Any) -> G4FJupyterApp:
    [app] = serverapp.extension_manager.extension_apps["g4f_jupyter"]
    assert isinstance(app, G4FJupyterApp)
    return app


def test_config_reaches_handlers_and_kernels(jp_serverapp: Any) -> None:
    app = the_app(jp_serverapp)
    settings = jp_serverapp.web_app.settings["g4f_settings"]
    assert settings is app.g4f
    assert (settings.default_provider, settings.max_file_bytes, settings.demo_mode) == ("Ollama", 1234, True)
    assert settings.upload_limits().max_file_bytes == 1234
    # Exported: a kernel this server starts reads the same values.
    assert os.environ["G4F_JUPYTER_DEFAULT_PROVIDER"] == "Ollama"
    exported = current_settings()
    assert (exported.default_provider, exported.max_file_bytes, exported.demo_mode) == ("Ollama", 1234, True)
    assert exported.max_body_bytes == settings.max_body_bytes  # unconfigured: the product default, exported too


def test_an_exported_variable_is_kept_unless_config_names_it(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("G4F_SHARE_URL", "https://chat.example.org/")
    monkeypatch.setenv("G4F_JUPYTER_DEFAULT_PROVIDER", "Groq")
    serverapp = request.getfixturevalue("jp_serverapp")
    settings = the_app(serverapp).g4f
    assert settings.share_url == "https://chat.example.org/"  # from the environment
    assert settings.default_provider == "Ollama"  # the Jupyter config wins
    assert os.environ["G4F_SHARE_URL"] == "https://chat.example.org/"


def test_stale_temporary_files_are_swept_at_start(request: pytest.FixtureRequest, g4f_data_dir: Path) -> None:
    stale = g4f_data_dir / "shares" / ".chat.json.abc.tmp"
    fresh = g4f_data_dir / "shares" / ".other.json.def.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_text("{half")
    fresh.write_text("{half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    request.getfixturevalue("jp_serverapp")
    assert not stale.exists(), "a killed writer's temporary file is removed when the server starts"
    assert fresh.exists(), "a file that may still be being written is left alone"


def model_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("g4f-local")]


@pytest.mark.asyncio
async def test_stop_closes_pooled_connections_and_the_model_worker(jp_serverapp: Any) -> None:
    client = http.pooled_client("Ollama")
    assert not client.closed
    assert local.run_on_worker(lambda: threading.current_thread().name).startswith("g4f-local")
    assert model_threads()
    await jp_serverapp.cleanup_extensions()  # what the server runs on shutdown
    assert client.closed
    assert model_threads() == [], "the model's worker thread has ended"
    assert http.pooled_client("Ollama") is not client, "a later request gets a fresh client"
    assert local.run_on_worker(lambda: 2) == 2, "and a later answer a fresh worker"
