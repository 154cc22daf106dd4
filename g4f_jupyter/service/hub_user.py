"""Who this server's user is under JupyterHub, and which hub groups they are in.

A user's server (and every kernel it starts) holds the credentials JupyterHub gave it:
``$JUPYTERHUB_USER``, ``$JUPYTERHUB_API_URL`` and ``$JUPYTERHUB_API_TOKEN``. Every hub token
may read its owner's name and groups (``GET <api>/user``), so no extra scope is needed. The
answer is kept for :data:`FRESH_SECONDS`; after that the last answer is still used while a
background thread asks again, so a request never waits on the hub except the first in a process.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import httpx

from ..errors import G4FError

__all__ = ["FRESH_SECONDS", "HubUnreachableError", "HubUser", "forget_hub_user", "hub_user"]

FRESH_SECONDS = 60.0  # a change of groups on the hub reaches the server within this
_TIMEOUT = 5.0


class HubUnreachableError(G4FError):
    """The hub could not say which groups this user is in (and nothing earlier is known)."""

    status = 503


@dataclass(frozen=True)
class HubUser:
    name: str
    groups: frozenset[str]


_lock = threading.Lock()
_known: dict[tuple[str, str], tuple[float, HubUser]] = {}  # (api url, token) -> (when asked, answer)
_asking: set[tuple[str, str]] = set()


def _credentials() -> tuple[str, str, str] | None:
    names = ("JUPYTERHUB_USER", "JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN")
    user, url, token = (os.environ.get(name, "") for name in names)
    return (user, url, token) if user and url and token else None


def _ask(url: str, token: str) -> HubUser:
    try:
        response = httpx.get(url.rstrip("/") + "/user", headers={"Authorization": f"token {token}"}, timeout=_TIMEOUT)
        response.raise_for_status()
        model = response.json()
        return HubUser(str(model["name"]), frozenset(str(g) for g in model.get("groups") or ()))
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise HubUnreachableError(f"the hub could not say which groups you are in: {exc}") from None


def _refresh(key: tuple[str, str]) -> None:
    try:
        answer = _ask(*key)
    except HubUnreachableError:
        answer = None  # keep the last answer; the next request tries again
    with _lock:
        _asking.discard(key)
        if answer is not None:
            _known[key] = (time.monotonic(), answer)


def hub_user() -> HubUser | None:
    """This process's hub user and groups; ``None`` outside JupyterHub.

    Raises :class:`HubUnreachableError` (503) only when the hub has never answered this process.
    """
    credentials = _credentials()
    if credentials is None:
        return None
    name, url, token = credentials
    key = (url, token)
    with _lock:
        known = _known.get(key)
        stale = known is not None and time.monotonic() - known[0] > FRESH_SECONDS
        if stale and key not in _asking:
            _asking.add(key)
            threading.Thread(target=_refresh, args=(key,), daemon=True, name="g4f-hub-groups").start()
    if known is not None:
        return known[1]
    answer = _ask(url, token)
    if answer.name != name:
        raise HubUnreachableError(f"the hub token belongs to {answer.name!r}, not to {name!r}")
    with _lock:
        _known[key] = (time.monotonic(), answer)
    return answer


def forget_hub_user() -> None:
    """Drop what is known (the next call asks the hub again)."""
    with _lock:
        _known.clear()
