"""An operator who turns on public shares: a visitor without a hub login reads them, and still cannot write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubrig import Hub, hub


@pytest.fixture(scope="module")
def public_hub(tmp_path_factory: pytest.TempPathFactory, shared_model: tuple[str, Path]) -> Iterator[Hub]:
    with hub(tmp_path_factory.mktemp("hub"), shared_model[0], public_shares=True) as running:
        running.add_user("carol")
        yield running


def test_a_visitor_reads_public_shares_without_login(public_hub: Hub) -> None:
    share_id = uuid.uuid4().hex
    conversation = {"title": "Open to all", "items": [{"role": "assistant", "content": "public words"}], "updated": 1}
    with public_hub.client("carol") as carol, public_hub.client() as visitor:
        assert carol.post(f"services/g4f-shares/api/chat/{share_id}", json=conversation).status_code == 200
        page = visitor.get(f"services/g4f-shares/chat/{share_id}")
        assert page.status_code == 200 and "public words" in page.text
        assert visitor.get(f"services/g4f-shares/api/chat/{share_id}").json()["owner"] == "carol"
        assert visitor.post(f"services/g4f-shares/api/chat/{share_id}", json=conversation).status_code == 403
        assert visitor.get("user/carol/backend-api/v2/providers").status_code == 403  # her server stays private
