"""``POST backend-api/v2/complete``: inline code completion, streamed like a chat answer (thin over ``service``)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..service.complete import open_completion
from .base import G4FAPIHandler

__all__ = ["ROUTES"]


class CompleteHandler(G4FAPIHandler):
    """The suggestion at a cursor as NDJSON lines (SSE blocks with ``?format=sse``); the client leaving stops it."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        events = open_completion(self.json_body(), self.request.headers, self.g4f.operator_settings())
        await self.stream_events(events, sse=self.get_query_argument("format", "") == "sse")


ROUTES: list[tuple[str, type]] = [("backend-api/v2/complete", CompleteHandler)]
