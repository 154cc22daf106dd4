"""Saved chats under ``/backend-api/v2/conversations``: list, search, read, save, rename, delete, import, export.

Thin handlers over :mod:`g4f_jupyter.service.conversations` (the store the page, the Lab panel
and the chat widget share) and :mod:`g4f_jupyter.service.conversation_export`. File work runs in
worker threads; an export is saved through Jupyter's contents manager, so it appears in the file
browser and obeys its rules (root, hidden files).
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequestError, NotFoundError
from ..service import conversation_export, conversations
from ..service.validation import validate, validate_query
from .base import G4FAPIHandler

__all__ = ["ROUTES"]


class ConversationsHandler(G4FAPIHandler):
    """``GET``: the saved chats, newest first (``?search=&limit=&offset=``)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = validate_query(conversations.ConversationQuery, self.request.query_arguments)
        self.write_json(await asyncio.to_thread(conversations.list_conversations, query))


class ConversationImportHandler(G4FAPIHandler):
    """``POST``: upstream's exported chats (one, a list, or localStorage's ``conversation:<id>`` map)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.write_json(await asyncio.to_thread(conversations.import_conversations, self.json_body()))


class ConversationHandler(G4FAPIHandler):
    """One saved chat: ``GET`` it, ``PUT`` it whole, ``PATCH`` its title, ``DELETE`` it."""

    @web.authenticated
    @authorized
    async def get(self, conversation_id: str) -> None:
        self.write_json(await asyncio.to_thread(conversations.load_conversation, conversation_id))

    @web.authenticated
    @authorized
    async def put(self, conversation_id: str) -> None:
        self.write_json(await asyncio.to_thread(conversations.save_conversation, conversation_id, self.json_body()))

    @web.authenticated
    @authorized
    async def patch(self, conversation_id: str) -> None:
        self.write_json(await asyncio.to_thread(conversations.rename_conversation, conversation_id, self.json_body()))

    @web.authenticated
    @authorized
    async def delete(self, conversation_id: str) -> None:
        self.write_json(await asyncio.to_thread(conversations.delete_conversation, conversation_id))


class ConversationExportHandler(G4FAPIHandler):
    """``POST {"format": "ipynb"|"markdown", "directory"?}``: a new file in the file browser; ``{"path"}``."""

    @web.authenticated
    @authorized
    async def post(self, conversation_id: str) -> None:
        request = validate(conversation_export.ExportRequest, self.json_body())
        exported = await asyncio.to_thread(conversation_export.export_chat, conversation_id, request.format)
        self.write_json({"path": await self._save_new(request.directory, exported)})

    async def _save_new(self, directory: str, exported: conversation_export.ExportedChat) -> str:
        """Save under a free name in ``directory`` (``name-1.ipynb`` when ``name.ipynb`` exists): never overwrite."""
        manager: Any = self.contents_manager
        if not await ensure_async(manager.dir_exists(directory)):
            raise NotFoundError(f"no folder {directory!r} in the file browser")
        if directory and not manager.allow_hidden and await ensure_async(manager.is_hidden(directory)):
            raise BadRequestError(f"{directory!r} is a hidden folder")  # Jupyter would write the file, then refuse it
        lock: asyncio.Lock = self.settings.setdefault("g4f_export_lock", asyncio.Lock())
        async with lock:  # two exports of one title must not pick the same free name
            name = await ensure_async(manager.increment_filename(exported.name, directory, insert="-"))
            path = f"{directory}/{name}" if directory else name
            await ensure_async(manager.save(dict(exported.model), path))
        return path


_V2 = "backend-api/v2/conversations"

ROUTES: list[tuple[str, type]] = [
    (_V2, ConversationsHandler),
    (f"{_V2}/import", ConversationImportHandler),  # before the id route: "import" names no chat
    (f"{_V2}/([^/]+)", ConversationHandler),
    (f"{_V2}/([^/]+)/export", ConversationExportHandler),
]
