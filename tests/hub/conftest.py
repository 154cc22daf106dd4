"""One real JupyterHub (two users, their servers, the shares service) and one shared model server per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hubrig import Hub, hub, model_server


@pytest.fixture(scope="module")
def shared_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The one model server every user's chats go to: its ``/v1`` URL and its request log."""
    workdir = tmp_path_factory.mktemp("model")
    with model_server(workdir) as url:
        yield url, workdir / "model-server.log"


@pytest.fixture(scope="module")
def team_hub(tmp_path_factory: pytest.TempPathFactory, shared_model: tuple[str, Path]) -> Iterator[Hub]:
    """The hub of the example config, shares behind login, with users alice and bob running."""
    with hub(tmp_path_factory.mktemp("hub"), shared_model[0]) as running:
        running.add_user("alice")
        running.add_user("bob")
        yield running
