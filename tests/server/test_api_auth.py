"""Every routed handler method refuses requests without Jupyter credentials."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jupyter_server.base.handlers import APIHandler

from g4f_jupyter.server_ext import route_table
from g4f_jupyter.server_ext.base import G4FAPIHandler, G4FPageHandler

METHODS = ("get", "head", "post", "put", "patch", "delete")
SAMPLES = ("sample", "media", "thumbnail", "2025-01-01", "x.png", "1", "files/", "")
_BASES = {G4FAPIHandler, G4FPageHandler}


def own_methods(cls: type) -> dict[str, object]:
    """HTTP methods defined by the g4f classes in ``cls``'s ancestry (not Jupyter's own)."""
    found: dict[str, object] = {}
    for klass in cls.__mro__:
        if klass in _BASES:
            break
        for name in METHODS:
            if name in vars(klass) and name not in found:
                found[name] = vars(klass)[name]
    return found


def top_level_groups(pattern: str) -> list[tuple[int, int]]:
    """(start, end) spans of the top-level ``(...)`` groups of a route pattern."""
    spans, depth, start, escaped, in_class = [], 0, 0, False, False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
            start = i if depth == 1 else start
        elif ch == ")":
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def sample_path(pattern: str) -> str:
    """The route pattern with each group replaced by a sample value it accepts."""
    path, offset = pattern, 0
    for start, end in top_level_groups(pattern):
        group = pattern[start:end]
        value = next(s for s in SAMPLES if re.fullmatch(group, s))
        path = path[: start + offset] + value + path[end + offset :]
        offset += len(value) - (end - start)
    path = path.replace("\\", "").rstrip("$").replace("/?", "/")
    assert re.fullmatch(pattern, path), (pattern, path)
    return path


def served_routes(serverapp: Any, base_url: str) -> list[tuple[str, type]]:
    """(pattern relative to base_url, handler) of every g4f route the running server's Tornado app holds."""
    found = []
    for host_rule in serverapp.web_app.default_router.rules:
        for rule in getattr(host_rule.target, "rules", []):
            handler = rule.target
            if isinstance(handler, type) and handler.__module__.startswith("g4f_jupyter."):
                pattern = rule.matcher.regex.pattern
                assert pattern.startswith(base_url), pattern
                found.append((pattern[len(base_url) :].removesuffix("$"), handler))
    return found


@pytest.fixture
def routes(jp_serverapp: Any, jp_base_url: str) -> list[tuple[str, type]]:
    return served_routes(jp_serverapp, jp_base_url)


def test_the_server_serves_exactly_the_route_table(routes: list[tuple[str, type]]) -> None:
    assert sorted(routes, key=str) == sorted(route_table(), key=str)
    paths = [path for path, _ in routes]
    assert "backend-api/v2/conversation" in paths and "g4f/?" in paths
    assert not any(path in paths for path, _ in route_table(public_shares=True) if path.startswith("g4f/public"))


def test_every_method_carries_both_decorators(routes: list[tuple[str, type]]) -> None:
    for path, cls in routes:
        methods = own_methods(cls)
        assert methods, f"{path}: {cls.__name__} defines no HTTP method"
        for name, method in methods.items():
            chain, fn = [], method
            while fn is not None:
                chain.append(fn.__code__.co_qualname)
                fn = getattr(fn, "__wrapped__", None)
            assert "authenticated.<locals>.wrapper" in chain, (path, name, chain)
            assert any(q.startswith("authorized.<locals>") for q in chain), (path, name, chain)


@pytest.mark.asyncio
async def test_requests_without_credentials_are_refused(routes: list[tuple[str, type]], raw_fetch: Any) -> None:
    checked = 0
    for pattern, cls in routes:
        path = sample_path(pattern)
        for name in own_methods(cls):
            method = name.upper()
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            headers = {"Content-Type": "application/json"}
            response = await raw_fetch(path, method, body=body, auth=False, headers=headers)
            if issubclass(cls, APIHandler) or method not in ("GET", "HEAD"):
                assert response.code == 403, (path, method, response.code)
            else:
                assert response.code == 302 and "login" in response.headers["Location"], (path, method, response.code)
            checked += 1
    assert checked >= len(routes)


ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "PROPFIND", "TRACE")


@pytest.mark.asyncio
async def test_credentials_are_checked_before_the_method(routes: list[tuple[str, type]], raw_fetch: Any) -> None:
    """A stranger gets 403 (a page's GET/HEAD: the login page) whatever method it sends, so the
    answers never tell which methods a route has; a logged-in client gets a JSON 405 for the others."""
    checked = 0
    for pattern, cls in routes:
        path = sample_path(pattern)
        implemented = {name.upper() for name in own_methods(cls)}
        for method in ANY_METHOD:
            body = b"" if method in ("POST", "PUT", "PATCH") else None
            anonymous = await raw_fetch(path, method, body=body, auth=False, allow_nonstandard_methods=True)
            if issubclass(cls, APIHandler) or method not in ("GET", "HEAD"):
                assert anonymous.code == 403, (path, method, anonymous.code)
            else:
                assert anonymous.code == 302 and "login" in anonymous.headers["Location"], (path, method)
            if method not in implemented:
                refused = await raw_fetch(path, method, body=body, allow_nonstandard_methods=True)
                assert refused.code == 405, (path, method, refused.code)
                if method != "HEAD":
                    assert json.loads(refused.body)["error"]["message"], (path, method)
            checked += 1
    assert checked == len(routes) * len(ANY_METHOD)
