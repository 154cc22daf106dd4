"""The user's server's door to the hub's shares service: ``POST backend-api/v2/hub/chat/<share_id>``.

The page (or any client of this server) first saves the chat as a share here
(``POST backend-api/v2/chat/<share_id>``), then asks this route to publish that share to the
hub, where every logged-in hub user can read it. The server publishes with the credentials
the hub gave it, so the share is stored as this server's user. Outside JupyterHub: 501.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequestError
from ..server_ext.base import G4FAPIHandler
from ..service.hub_shares import publish_saved_share

__all__ = ["ROUTES", "HubShareHandler"]


class HubShareHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def post(self, share_id: str) -> None:
        if self.body_bytes():  # the share is read from this server's store; an oversized body is a 413 here
            raise BadRequestError("this route takes no body: save the chat with POST backend-api/v2/chat/<id> first")
        link = await asyncio.to_thread(publish_saved_share, share_id)  # 404 when it was never shared here
        self.write_json({"share_id": share_id, "url": link})


ROUTES: list[tuple[str, type]] = [(r"backend-api/v2/hub/chat/([^/]+)", HubShareHandler)]
