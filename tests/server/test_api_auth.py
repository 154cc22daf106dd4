"""Every routed handler method refuses requests without Jupyter credentials."""

from __future__ import annotations

import re

import pytest
from jupyter_server.base.handlers import APIHandler

from g4f_jupyter.server_ext import route_table
from g4f_jupyter.server_ext.base import G4FAPIHandler, G4FPageHandler

METHODS = ("get", "post", "put", "patch", "delete")
SAMPLES = ("sample", "media", "thumbnail", "2025-01-01", "x.png", "1")
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


def test_route_table_covers_the_api() -> None:
    paths = [path for path, _ in route_table()]
    assert paths and "backend-api/v2/conversation" in paths
    assert all(not path.startswith("/") for path in paths)


def test_every_method_carries_both_decorators() -> None:
    for path, cls in route_table():
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
async def test_requests_without_credentials_are_refused(raw_fetch) -> None:
    checked = 0
    for pattern, cls in route_table():
        path = sample_path(pattern)
        for name in own_methods(cls):
            method = name.upper()
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            response = await raw_fetch(path, method, body=body, auth=False, headers={"Content-Type": "application/json"})
            if issubclass(cls, APIHandler) or method != "GET":
                assert response.code == 403, (path, method, response.code)
            else:
                assert response.code == 302 and "login" in response.headers["Location"], (path, method, response.code)
            checked += 1
    assert checked >= len(route_table())
