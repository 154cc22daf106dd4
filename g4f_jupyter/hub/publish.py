"""Publishing a chat to the hub's shares service from a user's server or kernel.

It uses the credentials JupyterHub gave that user's server (``$JUPYTERHUB_API_TOKEN``, allowed
to reach the service by ``c.Spawner.server_token_scopes``), so the share is stored as that
user's and nobody else can overwrite it.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import G4FError, NotSupportedError
from ..service.share_links import hub_share_url, hub_shares_base
from ..store.paths import safe_name

__all__ = ["HubShareError", "publish_to_hub"]


class HubShareError(G4FError):
    """The shares service refused or could not be reached; carries its status and message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def publish_to_hub(
    share_id: str, conversation: dict[str, Any], base: str | None = None, token: str | None = None
) -> str:
    """Store ``conversation`` on the hub's shares service; returns the link a colleague opens."""
    base = base or hub_shares_base()
    token = token or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not base or not token:
        raise NotSupportedError("not running under JupyterHub: no shares service or hub token")
    url = base.rstrip("/") + "/api/chat/" + quote(safe_name(share_id, "share id"), safe="")
    try:
        response = httpx.post(url, json=conversation, headers={"Authorization": f"token {token}"}, timeout=30)
    except httpx.HTTPError as exc:
        raise HubShareError(502, f"the hub's shares service is unreachable: {exc}") from None
    if response.status_code != 200:
        try:
            message = str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        raise HubShareError(response.status_code, f"the hub's shares service refused the share: {message}")
    link = hub_share_url(share_id, base)
    assert link is not None
    return link
