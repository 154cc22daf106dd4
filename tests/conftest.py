"""Fixtures shared by the whole suite: a sandboxed data directory and a real Jupyter server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(autouse=True)
def g4f_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data directory and user provider directory."""
    data = tmp_path_factory.mktemp("g4f-data")
    providers = tmp_path_factory.mktemp("g4f-providers")
    monkeypatch.setenv("G4F_JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("G4F_JUPYTER_PROVIDERS_DIR", str(providers))
    for exported in ("G4F_SHARE_URL", "G4F_JUPYTER_PUBLIC_SHARES"):
        # A test server exports these for its kernels; undo that after each test.
        monkeypatch.setenv(exported, "")
        monkeypatch.delenv(exported)
    return data


@pytest.fixture
def user_providers_dir(g4f_data_dir: Path) -> Path:
    import os

    return Path(os.environ["G4F_JUPYTER_PROVIDERS_DIR"])


@pytest.fixture
def jp_asyncio_loop(_function_scoped_runner: Any) -> asyncio.AbstractEventLoop:
    """Run pytest-jupyter's server on the loop pytest-asyncio runs the test on.

    In strict mode pytest-asyncio runs a marked test in its own runner loop, made after
    pytest-jupyter's; without this the server would listen on a loop that never runs while
    the test awaits, and every request would time out.
    """
    return _function_scoped_runner.get_loop()


@pytest.fixture
def jp_server_config() -> dict:
    """Load the extension into pytest-jupyter's server."""
    return {"ServerApp": {"jpserver_extensions": {"g4f_jupyter": True}}}


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots and other files kept after the run (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
