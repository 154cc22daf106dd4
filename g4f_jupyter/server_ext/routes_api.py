"""The ``/backend-api/v2`` API routes (buckets and media are in :mod:`.routes_files`): thin handlers over ``service``.

Every method needs Jupyter credentials (``@web.authenticated`` + ``@authorized``). Errors
raised by the service layer reach the client as ``{"error": {"message"}}`` with their
status through the base handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import httputil, web
from tornado.iostream import StreamClosedError

from ..errors import NotFoundError
from ..service import (
    catalog,
    cookies,
    create,
    keys,
    media,
    memory,
    pa_providers,
    public_key,
    quota,
    records,
    shares,
    synthesize,
    version,
)
from ..service.policy import admit
from ..service.prepare import PREPARE, prepare_prompt
from ..service.request import build_request, header
from ..service.validation import parse_json, query_values, validate_query
from .base import G4FAPIHandler

__all__ = ["ROUTES"]

_TEXT = "text/plain; charset=utf-8"


class VersionHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(await version.versions())


class ModelsHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(catalog.list_models(self.g4f.demo_mode))


class ProviderModelsHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, provider: str) -> None:
        api_key, api_base = header(self.request.headers, "x-api-key"), header(self.request.headers, "x-api-base")
        ignored = self.get_query_argument("ignored", None) or header(self.request.headers, "x-ignored") or ""
        self.write_json(await catalog.provider_models(provider, api_key, api_base, tuple(ignored.split())))


class ProvidersHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(catalog.list_providers(self.g4f.demo_mode))


class ConversationHandler(G4FAPIHandler):
    """One chat turn, streamed as NDJSON lines (or SSE blocks with ``?format=sse``); ``action: "prepare"``
    reads the prompt ahead of the question and answers 204."""

    async def _body_and_files(self) -> tuple[Any, list[tuple[bytes, str]]]:
        """The JSON body, or a multipart body's ``json`` field and its media ``files`` (read from disk)."""
        if not self.is_multipart():
            return self.json_body(), []
        form = await self.form()
        uploads = [f for f in form.files_named("files") if media.is_media_name(f.filename)]
        files = await asyncio.to_thread(lambda: [(f.read_bytes(), f.filename) for f in uploads])
        return parse_json(form.field("json") or ""), files

    @web.authenticated
    @authorized
    async def post(self) -> None:
        secret = header(self.request.headers, "x-secret")
        if secret is not None:  # upstream's current page sends one with every chat (public_key.py)
            await asyncio.to_thread(public_key.check_secret, secret)
        body, files = await self._body_and_files()
        request = build_request(body, self.request.headers, files, self.g4f.operator_settings())
        if request.action == PREPARE:  # read the prompt ahead of the question: 204 once it is in the cache
            await prepare_prompt(request)
            self.set_status(204)
            self.finish()
            return
        admission = admit(request)  # bad provider/model/key and the policy's refusals raise here, before any output
        await self.stream_turn(request, admission, sse=self.get_query_argument("format", "") == "sse")


class UsageHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await asyncio.to_thread(records.append_usage, self.json_body(), header(self.request.headers, "x-user"))
        self.write_json({})


class LogHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await asyncio.to_thread(records.append_log, self.json_body(), self.request.headers.get("Origin"))
        self.write_json({})


class MemoryHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, user_id: str) -> None:
        query = validate_query(memory.MemoryQuery, self.request.query_arguments)
        if query.search:
            result = await asyncio.to_thread(memory.search_memories, user_id, query.search, query.page_size)
        else:
            result = await asyncio.to_thread(memory.list_memories, user_id, query.page, query.page_size)
        self.write_json(result)

    @web.authenticated
    @authorized
    async def post(self, user_id: str) -> None:
        count = await asyncio.to_thread(memory.add_conversation, user_id, self.json_body())
        self.write_json({"count": count})


class CreateHandler(G4FAPIHandler):
    """One-shot text: parameters from the query string, a form body or a JSON object body."""

    def _params(self) -> dict[str, Any]:
        """The query string, overlaid with a form body or a JSON object body (bodies are spooled, so parsed here)."""
        arguments = {name: list(values) for name, values in self.request.query_arguments.items()}
        kind = self.request.headers.get("Content-Type", "")
        if self.request.method == "POST" and kind.startswith("application/x-www-form-urlencoded"):
            httputil.parse_body_arguments(kind, self.body_bytes(), arguments, {})
        params: dict[str, Any] = query_values(arguments)
        if self.request.method == "POST" and "json" in kind:
            params = create.merge_json_body(params, self.json_body())
        return params

    async def _answer(self) -> None:
        """Bad input fails before the first piece (a JSON error); then each piece is sent as it comes."""
        chunks = create.create_chunks(self._params(), self.request.headers, self.g4f.operator_settings())
        async with contextlib.aclosing(chunks):
            first = await anext(chunks, "")
            self.set_header("Content-Type", _TEXT)
            self.write(first)
            try:
                await self.flush()
                async for piece in chunks:
                    self.write(piece)
                    await self.flush()
            except StreamClosedError:
                return  # the client left: closing the pieces stops the provider
        self.finish()

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._answer()

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._answer()


class UploadCookiesHandler(G4FAPIHandler):
    def body_limit(self) -> int:
        """A cookie file plus the multipart framing around it."""
        return self.g4f.max_cookie_bytes + 64 * 1024

    @web.authenticated
    @authorized
    async def post(self) -> None:
        uploads = (await self.form()).files_named("file")
        name, data = (uploads[0].filename, uploads[0].read_bytes()) if uploads else (None, b"")
        await asyncio.to_thread(cookies.save_cookie_file, name, data, self.g4f.max_cookie_bytes)
        self.finish("File saved", set_content_type=_TEXT)


class ShareHandler(G4FAPIHandler):
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

    @web.authenticated
    @authorized
    async def delete(self, share_id: str) -> None:
        await asyncio.to_thread(shares.delete_share, share_id)
        self.write_json({"share_id": share_id, "deleted": True})


class SynthesizeHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, provider: str) -> None:
        query = validate_query(synthesize.SpeechQuery, self.request.query_arguments)
        audio = await synthesize.synthesize(provider, query)
        self.set_header("Cache-Control", "max-age=604800")
        self.finish(audio, set_content_type=synthesize.CONTENT_TYPE)


class KeysHandler(G4FAPIHandler):
    """Which providers take an API key and whether one is stored (never the key itself)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(await asyncio.to_thread(keys.key_settings))


class KeyHandler(G4FAPIHandler):
    """Store (POST ``{"api_key"}``) or forget (DELETE) one provider's key in the data directory."""

    @web.authenticated
    @authorized
    async def post(self, provider: str) -> None:
        name = await asyncio.to_thread(keys.save_key, provider, self.json_body())
        self.write_json({"message": f"API key for {name} stored"})

    @web.authenticated
    @authorized
    async def delete(self, provider: str) -> None:
        name = await asyncio.to_thread(keys.delete_key, provider)
        self.write_json({"message": f"API key for {name} removed"})


class PublicKeyHandler(G4FAPIHandler):
    """``public-key`` (GET, or POST as upstream's page tries first): the key ``x-secret`` is encrypted with."""

    async def _challenge(self) -> None:
        user = header(self.request.headers, "x-user") or getattr(self.current_user, "username", None)
        self.write_json(await asyncio.to_thread(public_key.challenge, user))

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._challenge()

    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.body_bytes()  # the body's limit still holds (413); upstream's page sends none
        await self._challenge()


class QuotaHandler(G4FAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, provider: str) -> None:
        self.write_json(quota.provider_quota(provider, header(self.request.headers, "x-api-key")))


class PaProvidersHandler(G4FAPIHandler):
    """``pa/providers`` (beside ``backend-api/``, as upstream has it): always an empty list here."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(pa_providers.pa_providers())


class UnknownRouteHandler(G4FAPIHandler):
    """Any other path under ``/backend-api/v2``: a JSON 404, which clients parse (an HTML page breaks them).

    That includes ``backend-api/v2/`` and ``backend-api/v2/files/`` themselves, which is what a
    client that resolves ``..`` makes of ``chat/..`` or ``files/..``.
    """

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise NotFoundError(f"no such route: /backend-api/v2/{path}")

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        self.body_bytes()  # the body's limit still holds (413), and the connection stays usable
        raise NotFoundError(f"no such route: /backend-api/v2/{path}")

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        raise NotFoundError(f"no such route: /backend-api/v2/{path}")


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
    (f"{_V2}/keys", KeysHandler),
    (f"{_V2}/keys/([^/]+)", KeyHandler),
    (f"{_V2}/public-key", PublicKeyHandler),
    (f"{_V2}/quota/([^/]+)", QuotaHandler),
    ("pa/providers", PaProvidersHandler),
    # Keep last: every other path under /backend-api/v2 except the bucket routes (routes_files).
    (f"{_V2}/((?!files(?:/|$)).+)", UnknownRouteHandler),
    (f"{_V2}/?()", UnknownRouteHandler),
    (f"{_V2}/(files/?)", UnknownRouteHandler),
]
