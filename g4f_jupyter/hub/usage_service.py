"""The hub's usage service: each user's server reports its user's usage; admins read the table.

Started by JupyterHub as a service (``python -m g4f_jupyter.hub.usage_service``, named
``g4f-usage``), it authenticates every request with the hub. A report (``POST api/usage``)
needs a token allowed to reach the service (a user's server token: ``c.Spawner.server_token_scopes``)
and is stored under the token's user, whatever it says. The table (``GET``, HTML) and
``GET api/usage`` (JSON) need the hub scope ``custom:g4f-usage:read``, which the operator gives
admins through a role; ``?days=N`` (1 to 366, default 31) sets how far back. Totals are kept by
:mod:`g4f_jupyter.service.usage_table` in the service's own data directory.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections import defaultdict
from typing import Any

from jupyterhub.services.auth import HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from pydantic import BaseModel, Field
from tornado import web

from ..errors import BadRequestError
from ..service.usage_table import store_report, usage_rows
from ..service.validation import parse_json, validate_query
from ._service import HubServiceHandler, cookie_secret, serve

__all__ = ["READ_SCOPE", "SERVICE_NAME", "make_app"]

SERVICE_NAME = "g4f-usage"
READ_SCOPE = "custom:g4f-usage:read"
"""The hub scope that lets its holder read every user's usage (define it in ``c.JupyterHub.custom_scopes``)."""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


class TableQuery(BaseModel):
    days: int = Field(default=31, ge=1, le=366)


class _Handler(HubServiceHandler):
    def _rows(self) -> list[dict[str, Any]]:
        return usage_rows(validate_query(TableQuery, self.request.query_arguments).days)


class _AdminHandler(_Handler):
    @property
    def hub_scopes(self) -> set[str]:
        return {READ_SCOPE}


class UsageTableHandler(_AdminHandler):
    """The table for admins: totals per user, then each user's requests and tokens by day and provider."""

    @web.authenticated
    async def get(self) -> None:
        rows = await asyncio.to_thread(self._rows)
        self.set_header("Content-Security-Policy", _CSP)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(render_table(rows))


class UsageApiHandler(_Handler):
    """``GET``: the rows as JSON (admins); ``POST``: a user's server reports its user's totals."""

    @property
    def hub_scopes(self) -> set[str]:
        if self.request.method == "GET":
            return {READ_SCOPE}
        return {f"access:services!service={SERVICE_NAME}"}

    @web.authenticated
    async def get(self) -> None:
        rows = await asyncio.to_thread(self._rows)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(rows))

    @web.authenticated
    async def post(self) -> None:
        user = self.current_user
        if user.get("kind", "user") != "user":
            raise BadRequestError("usage is reported by a user's server, with that user's token")
        stored = await asyncio.to_thread(store_report, user["name"], parse_json(self.request.body or b""))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"user": user["name"], "rows": stored}))


def render_table(rows: list[dict[str, Any]]) -> str:
    """The admin page: one line per user (requests, tokens, by provider), then every day's rows."""
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        counted = totals[row["user"]][row["provider"]]
        counted[0] += row["requests"]
        counted[1] += row["tokens"]
    cell = html.escape
    summary = "".join(
        f"<tr><td>{cell(user)}</td><td>{sum(c[0] for c in by.values())}</td><td>{sum(c[1] for c in by.values())}</td>"
        f"<td>{cell(', '.join(f'{p}: {c[1]}' for p, c in sorted(by.items())))}</td></tr>"
        for user, by in sorted(totals.items())
    )
    detail = "".join(
        f"<tr><td>{cell(r['day'])}</td><td>{cell(r['user'])}</td><td>{cell(r['provider'])}</td>"
        f"<td>{r['requests']}</td><td>{r['tokens']}</td></tr>"
        for r in rows
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>g4f usage</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style></head><body>"
        "<h1>g4f usage per user</h1><table><tr><th>User</th><th>Requests</th><th>Tokens</th>"
        f"<th>Tokens by provider</th></tr>{summary}</table>"
        "<h2>By day</h2><table><tr><th>Day (UTC)</th><th>User</th><th>Provider</th><th>Requests</th>"
        "<th>Tokens</th></tr>"
        f"{detail}</table></body></html>"
    )


def make_app(prefix: str) -> web.Application:
    """The service's routes under ``prefix`` (the hub's ``/services/g4f-usage/``)."""
    handlers: list[Any] = [
        (prefix.rstrip("/") + "/?", UsageTableHandler),
        (url_path_join(prefix, "api/usage/?"), UsageApiHandler),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ]
    return web.Application(handlers, cookie_secret=cookie_secret())


def main() -> None:
    """Started by JupyterHub as a managed service."""
    serve(make_app, SERVICE_NAME)


if __name__ == "__main__":
    main()
