"""Where a shared chat can be opened: the one place that builds share links.

The server builds them from the request (or the operator's ``share_url``); the kernel has
no request, so it asks :func:`jupyter_server.serverapp.list_running_servers` for the URL of
the server that started it. Upstream's ``G4F_SHARE_URL`` variable overrides both.
Under JupyterHub a single-user server sits behind the hub's proxy at ``/user/<name>/``: a
request already carries the public host and that base URL, and code without a request takes
``$JUPYTERHUB_PUBLIC_URL``; links to chats shared with other hub users point at the hub's
shares service (``hub_share_url``).
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

from ..store.paths import safe_name
from .query import bool_or_text

__all__ = [
    "HUB_SHARES_SERVICE",
    "HUB_SHARES_URL_ENV",
    "PUBLIC_SHARES_ENV",
    "SHARE_URL_ENV",
    "hub_share_url",
    "hub_shares_base",
    "share_base",
    "share_prefix",
    "share_url",
    "share_url_for",
]

SHARE_URL_ENV = "G4F_SHARE_URL"
PUBLIC_SHARES_ENV = "G4F_JUPYTER_PUBLIC_SHARES"
HUB_SHARES_URL_ENV = "G4F_HUB_SHARES_URL"
HUB_SHARES_SERVICE = "g4f-shares"


def share_base(configured: str, origin: str, base_url: str) -> str:
    """The base of links made while answering a request: the operator's ``share_url``,
    else ``$G4F_SHARE_URL``, else the request's own origin plus the server's base_url."""
    return configured or os.environ.get(SHARE_URL_ENV) or origin.rstrip("/") + "/" + base_url.lstrip("/")


def share_prefix(base: str, public: bool = False) -> str:
    """Everything before the share id; the login-free page when shares are public."""
    return base.rstrip("/") + ("/g4f/public/chat/" if public else "/g4f/chat/")


def share_url(share_id: str, base: str, public: bool = False) -> str:
    """The link to the read-only page of ``share_id`` under ``base`` (origin + base_url)."""
    return share_prefix(base, public) + quote(safe_name(share_id, "share id"), safe="")


def server_base() -> str | None:
    """The URL (origin + base_url) of the Jupyter server that started this process, if any.

    Under JupyterHub that is the public URL the hub gave the server. A kernel's parent is its
    server (``JPY_PARENT_PID``); otherwise the only running
    server is taken, and with several candidates none is guessed.
    """
    public = os.environ.get("JUPYTERHUB_PUBLIC_URL")  # the hub's proxy, not the server's own port
    if public:
        return public
    from jupyter_server.serverapp import list_running_servers

    servers = list(list_running_servers())
    parent = os.environ.get("JPY_PARENT_PID") or str(os.getppid())
    for info in servers:
        if str(info.get("pid")) == parent:
            return str(info["url"])
    return str(servers[0]["url"]) if len(servers) == 1 else None


def share_url_for(share_id: str, base: str | None = None, public: bool | None = None) -> str | None:
    """The link to a shared chat from code that has no request (the kernel, widgets).

    ``base`` defaults to ``$G4F_SHARE_URL``, else the running server's URL; ``public``
    defaults to ``$G4F_JUPYTER_PUBLIC_SHARES``. ``None`` when no server can be found.
    """
    base = base or os.environ.get(SHARE_URL_ENV) or server_base()
    if public is None:
        public = bool(bool_or_text(os.environ.get(PUBLIC_SHARES_ENV)))
    return share_url(share_id, base, public) if base else None


def hub_shares_base() -> str | None:
    """The hub's shares service as users reach it: ``$G4F_HUB_SHARES_URL``, else the hub's public
    origin plus ``services/g4f-shares/``; ``None`` outside JupyterHub."""
    explicit = os.environ.get(HUB_SHARES_URL_ENV)
    if explicit:
        return explicit.rstrip("/") + "/"
    hub = os.environ.get("JUPYTERHUB_PUBLIC_HUB_URL") or os.environ.get("JUPYTERHUB_PUBLIC_URL")
    if not hub:
        return None
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(hub))
    prefix = os.environ.get("JUPYTERHUB_BASE_URL", "/").strip("/")
    return "/".join(part for part in (origin, prefix, "services", HUB_SHARES_SERVICE) if part) + "/"


def hub_share_url(share_id: str, base: str | None = None) -> str | None:
    """The link a colleague on the same hub opens to read ``share_id`` (``None`` outside JupyterHub)."""
    base = base or hub_shares_base()
    return base.rstrip("/") + "/chat/" + quote(safe_name(share_id, "share id"), safe="") if base else None
