"""The user's server's door to the hub's shares service: ``backend-api/v2/hub/chat/<share_id>``.

The page (or any client of this server) first saves the chat as a share here
(``POST backend-api/v2/chat/<share_id>``), then asks this route to publish that share to the
hub, where every logged-in hub user can read it (POST), or to remove the hub's copy when the
user stops sharing (DELETE). The server calls the hub with the credentials the hub gave it, so
the copy is this server's user's. Outside JupyterHub: 501.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequestError
from ..service.hub_shares import publish_saved_share, unpublish_from_hub
from .base import G4FAPIHandler

__all__ = ["ROUTES", "HubShareHandler"]


class HubShareHandler(G4FAPIHandler):
    def _no_body(self) -> None:
        if self.body_bytes():  # the share is read from this server's store; an oversized body is a 413 here
            raise BadRequestError("this route takes no body: save the chat with POST backend-api/v2/chat/<id> first")

    @web.authenticated
    @authorized
    async def post(self, share_id: str) -> None:
        self._no_body()
        link = await asyncio.to_thread(publish_saved_share, share_id)  # 404 when it was never shared here
        self.write_json({"share_id": share_id, "url": link})

    @web.authenticated
    @authorized
    async def delete(self, share_id: str) -> None:
        self._no_body()
        await asyncio.to_thread(unpublish_from_hub, share_id)  # 404 when the hub has no copy
        self.write_json({"share_id": share_id, "deleted": True})


ROUTES: list[tuple[str, type]] = [(r"backend-api/v2/hub/chat/([^/]+)", HubShareHandler)]
