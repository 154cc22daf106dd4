"""Sharing a saved chat with the other users of the same JupyterHub, from the server or a kernel.

The chat is first saved as a share on the user's own server (:mod:`.shares`); this copies that
saved share to the hub's shares service, where every user logged in to the hub can read it.
The widget and the ``backend-api/v2/hub/chat/<id>`` route both go through here.
"""

from __future__ import annotations

import os

from ..hub.publish import publish_to_hub
from .share_links import hub_shares_base
from .shares import load_share

__all__ = ["hub_sharing_available", "publish_saved_share"]


def hub_sharing_available() -> bool:
    """Whether this process runs under JupyterHub with what publishing needs (the service and a hub token)."""
    return bool(hub_shares_base() and os.environ.get("JUPYTERHUB_API_TOKEN"))


def publish_saved_share(share_id: str) -> str:
    """Publish the chat saved here as ``share_id`` to the hub; returns the link hub users open.

    Raises :class:`~g4f_jupyter.errors.NotFoundError` when it was never shared here,
    ``NotSupportedError`` outside JupyterHub, ``HubShareError`` when the hub refused it.
    """
    conversation = load_share(share_id)
    assert isinstance(conversation, dict)  # no If-None-Match given, so never NOT_MODIFIED
    return publish_to_hub(share_id, conversation)
