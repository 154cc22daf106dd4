"""``POST backend-api/v2/complete``: inline code completion, streamed like a chat answer (thin over ``service``)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..service.complete import open_completion, prepare_completion, prepares
from .base import G4FAPIHandler

__all__ = ["ROUTES"]


class CompleteHandler(G4FAPIHandler):
    """The suggestion at a cursor as NDJSON lines (SSE blocks with ``?format=sse``); ``action: "prepare"``
    reads the context ahead and answers 204. The client leaving stops either."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body, settings = self.json_body(), self.g4f.operator_settings()
        if prepares(body):
            self.set_status(204)
            await self.pump(prepare_completion(body, self.request.headers, settings), "application/json")
            return
        events = open_completion(body, self.request.headers, settings)
        await self.stream_events(events, sse=self.get_query_argument("format", "") == "sse")


ROUTES: list[tuple[str, type]] = [("backend-api/v2/complete", CompleteHandler)]
