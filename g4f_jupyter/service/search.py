"""Web search for ``/conversation`` and ``/create``: a SearXNG instance, else ``ddgs``, else none.

The backend is chosen at call time: the operator's ``searxng_url`` (SearXNG's JSON API,
``GET <base>/search?q=…&format=json``) when set, else the ``ddgs`` package when it is
installed. When neither answers, :class:`SearchUnavailable` says why, so every caller can
tell the user that search was not done instead of dropping the request silently.
"""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import dataclass
from typing import Any

import httpx

from .settings import OperatorSettings, current_settings

__all__ = [
    "NOT_SEARCHED",
    "SearchResult", "SearchUnavailable", "grounded_prompt", "search_web", "sources_line",
]

NOT_SEARCHED = "web search was not done"
"""How every door's note starts when search was asked for but could not run."""
MAX_RESULTS = 5
TIMEOUT = 5.0


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    snippet: str


class SearchUnavailable(Exception):
    """Search was asked for but not done; the message says why (shown to the user)."""


def _results(rows: Any, title: str, url: str, snippet: str) -> list[SearchResult]:
    """Rows from either backend as results, skipping entries without a URL."""
    found = []
    for row in rows if isinstance(rows, list) else ():
        if isinstance(row, dict) and isinstance(row.get(url), str) and row[url]:
            found.append(SearchResult(str(row.get(title) or row[url]), row[url], str(row.get(snippet) or "")))
    return found[:MAX_RESULTS]


async def _searxng(base: str, query: str) -> list[SearchResult]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.get(f"{base.rstrip('/')}/search", params={"q": query, "format": "json"})
        response.raise_for_status()
        data = response.json()
    return _results(data.get("results") if isinstance(data, dict) else None, "title", "url", "content")


def _ddgs(query: str) -> list[SearchResult]:
    from ddgs import DDGS  # optional: only when installed

    return _results(list(DDGS().text(query, max_results=MAX_RESULTS)), "title", "href", "body")


async def search_web(query: str, settings: OperatorSettings | None = None) -> list[SearchResult]:
    """Up to :data:`MAX_RESULTS` results for ``query``; raises :class:`SearchUnavailable` otherwise."""
    settings = settings or current_settings()
    if settings.searxng_url:
        backend = f"SearXNG at {settings.searxng_url}"
        search = _searxng(settings.searxng_url, query)
    elif importlib.util.find_spec("ddgs") is not None:
        backend = "ddgs"
        search = asyncio.wait_for(asyncio.to_thread(_ddgs, query), TIMEOUT)
    else:
        raise SearchUnavailable("no search backend configured (set searxng_url or install ddgs)")
    try:
        results = await search
    except Exception as exc:
        raise SearchUnavailable(f"{backend} failed: {type(exc).__name__}: {exc}") from exc
    if not results:
        raise SearchUnavailable(f"{backend} found nothing for {query!r}")
    return results


def grounded_prompt(results: list[SearchResult], prompt: str) -> str:
    """``prompt`` preceded by the numbered results and their sources, for the model to cite."""
    lines = [f"[{i}] {r.title}: {r.snippet}\n    Source: {r.url}" for i, r in enumerate(results, 1)]
    return "Web search results:\n" + "\n".join(lines) + f"\n\nAnswer using these results and cite them.\n\n{prompt}"


def sources_line(query: str, results: list[SearchResult]) -> str:
    """One line naming every source: the log line a chat shows beside its answer."""
    return f"web search for {query!r}: " + "; ".join(f"[{i}] {r.title} <{r.url}>" for i, r in enumerate(results, 1))
