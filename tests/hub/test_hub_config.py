"""The hub-wide provider directory and hub-aware share links, without a hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from g4f_jupyter.config import system_providers_dirs
from g4f_jupyter.core.registry import get_registry
from g4f_jupyter.service.share_links import hub_share_url, hub_shares_base, server_base

HUB_VARS = ("JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_BASE_URL", "G4F_HUB_SHARES_URL")


def _provider(directory: Path, name: str, label: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.toml").write_text(f'name = "{name}"\nlabel = "{label}"\ndriver = "openai"\nmodels = ["m"]\n')


def test_system_directories_come_from_jupyters_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("G4F_JUPYTER_SYSTEM_PROVIDERS_PATH", raising=False)
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", os.pathsep.join([str(tmp_path / "high"), str(tmp_path / "low")]))
    dirs = system_providers_dirs()
    assert dirs.index(tmp_path / "low" / "g4f" / "providers") < dirs.index(tmp_path / "high" / "g4f" / "providers")


def test_user_files_beat_the_hubs_which_beat_the_shipped(
    tmp_path: Path, user_providers_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub_dir = tmp_path / "etc" / "g4f" / "providers"
    monkeypatch.setenv("G4F_JUPYTER_SYSTEM_PROVIDERS_PATH", str(hub_dir))
    _provider(hub_dir, "TeamModel", "from the hub")
    _provider(hub_dir, "vLLM", "hub's vLLM")
    _provider(hub_dir, "Mine", "hub's Mine")
    _provider(user_providers_dir, "Mine", "user's Mine")
    registry = get_registry()
    assert registry.specs["TeamModel"].label == "from the hub"
    assert registry.specs["vLLM"].label == "hub's vLLM"  # the hub's file replaces the shipped one
    assert registry.specs["Mine"].label == "user's Mine"  # and the user's replaces the hub's
    (hub_dir / "TeamModel.toml").unlink()
    assert "TeamModel" not in get_registry().specs  # re-read without a restart


def test_hub_links_from_the_environment_jupyterhub_gives_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in HUB_VARS:
        monkeypatch.delenv(name, raising=False)
    assert hub_shares_base() is None and hub_share_url("s1") is None  # not under a hub
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_URL", "https://hub.example.org/jh/user/ann/")
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_HUB_URL", "https://hub.example.org/jh/hub/")
    monkeypatch.setenv("JUPYTERHUB_BASE_URL", "/jh/")
    assert server_base() == "https://hub.example.org/jh/user/ann/"  # the kernel's links use the hub's address
    assert hub_share_url("s1") == "https://hub.example.org/jh/services/g4f-shares/chat/s1"
    monkeypatch.setenv("G4F_HUB_SHARES_URL", "https://shares.example.org/x")
    assert hub_share_url("s1") == "https://shares.example.org/x/chat/s1"


@pytest.mark.asyncio
async def test_publishing_outside_a_hub_is_not_supported(
    raw_fetch: Any, error_message: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*HUB_VARS, "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert (await raw_fetch("backend-api/v2/chat/s1", "POST", body={"items": [], "updated": 1})).code == 200
    response = await raw_fetch("backend-api/v2/hub/chat/s1", "POST")
    assert response.code == 501 and "JupyterHub" in error_message(response)


@pytest.mark.asyncio
async def test_a_refusal_before_the_body_is_read_closes_the_connection_openly(
    server_url: str, jp_auth_header: dict[str, str]
) -> None:
    """Behind JupyterHub's proxy a silently closed keep-alive connection turns the next request into a 503."""
    async with httpx.AsyncClient(base_url=server_url) as client:  # keep-alive, as a proxy's pool
        refused = await client.post("backend-api/v2/usage")  # no credentials: refused in prepare()
        assert refused.status_code == 403 and refused.headers["Connection"] == "close"
        answered = await client.post("backend-api/v2/chat/s1", json=["not a share"], headers=jp_auth_header)
        assert answered.status_code == 400 and "Connection" not in answered.headers  # body read: kept alive
