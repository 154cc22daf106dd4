"""Sharing a saved chat with the other users of the same JupyterHub, from the server or a kernel.

The chat is first saved as a share on the user's own server (:mod:`.shares`); this copies that
saved share to the hub's shares service, where every user logged in to the hub can read it,
and removes the copy again when the user stops sharing. Calls carry the credentials JupyterHub
gave the user's server (``$JUPYTERHUB_API_TOKEN``, allowed to reach the service by
``c.Spawner.server_token_scopes``), so the copy is stored as that user's and nobody else can
overwrite or remove it. The widget and the ``backend-api/v2/hub/chat/<id>`` route both come here.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import G4FError, NotFoundError, NotSupportedError
from ..store.paths import safe_name
from .share_links import hub_share_url, hub_shares_base
from .shares import load_share

__all__ = [
    "HubShareError",
    "hub_sharing_available",
    "publish_saved_share",
    "publish_to_hub",
    "unpublish_from_hub",
]

_TIMEOUT = 30  # seconds: the service is on the hub's own network


class HubShareError(G4FError):
    """The shares service refused or could not be reached; carries its status and message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def hub_sharing_available() -> bool:
    """Whether this process runs under JupyterHub with what publishing needs (the service and a hub token)."""
    return bool(hub_shares_base() and os.environ.get("JUPYTERHUB_API_TOKEN"))


def _call(method: str, share_id: str, base: str | None, token: str | None, body: Any = None) -> httpx.Response:
    """One request to the service's ``api/chat/<id>`` with the server's hub token."""
    base = base or hub_shares_base()
    token = token or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not base or not token:
        raise NotSupportedError("not running under JupyterHub: no shares service or hub token")
    url = base.rstrip("/") + "/api/chat/" + quote(safe_name(share_id, "share id"), safe="")
    try:
        return httpx.request(method, url, json=body, headers={"Authorization": f"token {token}"}, timeout=_TIMEOUT)
    except httpx.HTTPError as exc:
        raise HubShareError(502, f"the hub's shares service is unreachable: {exc}") from None


def _refusal(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def publish_to_hub(
    share_id: str, conversation: dict[str, Any], base: str | None = None, token: str | None = None
) -> str:
    """Store ``conversation`` on the hub's shares service; returns the link a colleague opens."""
    response = _call("POST", share_id, base, token, conversation)
    if response.status_code != 200:
        raise HubShareError(response.status_code, f"the hub's shares service refused the share: {_refusal(response)}")
    link = hub_share_url(share_id, base)
    assert link is not None
    return link


def unpublish_from_hub(share_id: str, base: str | None = None, token: str | None = None) -> None:
    """Remove the hub's copy of ``share_id``: :class:`NotFoundError` when it has none, else the refusal."""
    response = _call("DELETE", share_id, base, token)
    if response.status_code == 404:
        raise NotFoundError(f"the hub's shares service has no shared chat {share_id!r}")
    if response.status_code != 200:
        raise HubShareError(response.status_code, f"the hub's shares service kept the share: {_refusal(response)}")


def publish_saved_share(share_id: str) -> str:
    """Publish the chat saved here as ``share_id`` to the hub; returns the link hub users open.

    Raises :class:`~g4f_jupyter.errors.NotFoundError` when it was never shared here,
    ``NotSupportedError`` outside JupyterHub, ``HubShareError`` when the hub refused it.
    """
    conversation = load_share(share_id)
    assert isinstance(conversation, dict)  # no If-None-Match given, so never NOT_MODIFIED
    return publish_to_hub(share_id, conversation)
