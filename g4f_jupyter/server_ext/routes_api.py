"""The ``/backend-api/v2`` API routes plus ``/media`` and ``/search``: thin handlers over ``service``.

Every method needs Jupyter credentials (``@web.authenticated`` + ``@authorized``). Errors
raised by the service layer reach the client as ``{"error": {"message"}}`` with their
status through the base handler.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import BadRequestError
from ..service import catalog, cookies, create, media, memory, records, shares, synthesize, version
from ..service.buckets.store import check_upload_limits
from ..service.conversation import header, open_conversation, request_from_body, with_defaults
from ..service.query import bool_or_text, parse_int
from .base import G4FAPIHandler

__all__ = ["ROUTES"]

_TEXT = "text/plain; charset=utf-8"


class _Handler(G4FAPIHandler):
    """Shared steps of the routes below."""

    def defaults(self) -> tuple[str | None, str | None, bool]:
        """(provider, model, pin) for requests that name no provider: demo mode pins the demo provider."""
        if self.g4f.demo_mode:
            return catalog.DEMO_PROVIDER, None, True
        return self.g4f.default_provider or None, self.g4f.default_model or None, False

    def is_multipart(self) -> bool:
        return self.request.headers.get("Content-Type", "").lower().startswith("multipart/form-data")


class VersionHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(await version.versions())


class ModelsHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(catalog.list_models(self.g4f.demo_mode))


class ProviderModelsHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, provider: str) -> None:
        api_key, api_base = header(self.request.headers, "x-api-key"), header(self.request.headers, "x-api-base")
        self.write_json(await catalog.provider_models(provider, api_key, api_base))


class ProvidersHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(catalog.list_providers(self.g4f.demo_mode))


class ConversationHandler(_Handler):
    """One chat turn, streamed as NDJSON lines (or SSE blocks with ``?format=sse``)."""

    def _body_and_files(self) -> tuple[Any, list[tuple[bytes, str]]]:
        if not self.is_multipart():
            return self.json_body(), []
        self.check_body_size()
        try:
            body = json.loads(self.get_body_argument("json", ""))
        except ValueError:
            raise BadRequestError("Invalid JSON data") from None
        uploads = [(f.filename, f.body) for f in self.request.files.get("files", []) if media.is_media_name(f.filename)]
        check_upload_limits(uploads, self.g4f.upload_limits())
        return body, [(data, name) for name, data in uploads]

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body, files = self._body_and_files()
        request = with_defaults(request_from_body(body, self.request.headers, files), *self.defaults())
        _, events = open_conversation(request)  # bad provider/model/key raise here, before any output
        await self.stream_events(events, sse=self.get_query_argument("format", "") == "sse")


class UsageHandler(_Handler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await asyncio.to_thread(records.append_usage, self.json_body(), header(self.request.headers, "x-user"))
        self.write_json({})


class LogHandler(_Handler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await asyncio.to_thread(records.append_log, self.json_body(), self.request.headers.get("Origin"))
        self.write_json({})


class MemoryHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, user_id: str) -> None:
        page_size = parse_int(self.get_query_argument("page_size", None), 100, "page_size", minimum=1)
        query = self.get_query_argument("search", "")
        if query:
            result = await asyncio.to_thread(memory.search_memories, user_id, query, page_size)
        else:
            page = parse_int(self.get_query_argument("page", None), 1, "page", minimum=1)
            result = await asyncio.to_thread(memory.list_memories, user_id, page, page_size)
        self.write_json(result)

    @web.authenticated
    @authorized
    async def post(self, user_id: str) -> None:
        count = await asyncio.to_thread(memory.add_conversation, user_id, self.json_body())
        self.write_json({"count": count})


class CreateHandler(_Handler):
    """One-shot text: parameters from the query string, a form body or a JSON object body."""

    async def _answer(self) -> None:
        params = {name: self.get_argument(name) for name in self.request.arguments}
        if self.request.method == "POST" and "json" in self.request.headers.get("Content-Type", ""):
            params = create.merge_json_body(params, self.json_body())
        text = await create.create_text(params, self.request.headers, self.defaults())
        self.finish(text, set_content_type=_TEXT)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._answer()

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._answer()


class UploadCookiesHandler(_Handler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        uploads = self.request.files.get("file") or []
        name, data = (uploads[0].filename, uploads[0].body) if uploads else (None, b"")
        await asyncio.to_thread(cookies.save_cookie_file, name, data, self.g4f.max_cookie_bytes)
        self.finish("File saved", set_content_type=_TEXT)


class ShareHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, share_id: str) -> None:
        data = await asyncio.to_thread(shares.load_share, share_id, self.request.headers.get("If-None-Match"))
        if data is shares.NOT_MODIFIED:
            self.set_status(304)
            self.finish()
            return
        self.write_json(data)

    @web.authenticated
    @authorized
    async def post(self, share_id: str) -> None:
        self.write_json({"share_id": await asyncio.to_thread(shares.save_share, share_id, self.json_body())})


class SynthesizeHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, provider: str) -> None:
        params = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        audio = await synthesize.synthesize(provider, params)
        self.set_header("Cache-Control", "max-age=604800")
        self.finish(audio, set_content_type=synthesize.CONTENT_TYPE)


class MediaHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        await self.send_file(media.media_file(name))


class SearchHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, tags: str) -> None:
        skip = parse_int(self.get_query_argument("skip", None), 0, "skip")
        name = media.search_media(tags, skip, bool_or_text(self.get_query_argument("random", None)))
        self.redirect(url_path_join(self.base_url, "media", quote(name)))


_V2 = "backend-api/v2"

ROUTES: list[tuple[str, type]] = [
    (f"{_V2}/version", VersionHandler),
    (f"{_V2}/models", ModelsHandler),
    (f"{_V2}/models/([^/]+)", ProviderModelsHandler),
    (f"{_V2}/providers", ProvidersHandler),
    (f"{_V2}/conversation", ConversationHandler),
    (f"{_V2}/usage", UsageHandler),
    (f"{_V2}/log", LogHandler),
    (f"{_V2}/memory/([^/]+)", MemoryHandler),
    (f"{_V2}/create", CreateHandler),
    (f"{_V2}/upload_cookies", UploadCookiesHandler),
    (f"{_V2}/chat/([^/]+)", ShareHandler),
    (f"{_V2}/synthesize/([^/]+)", SynthesizeHandler),
    (r"media/([^/]+)", MediaHandler),
    (r"search/([^/]+)", SearchHandler),
]
