"""HTML of the g4f pages: Jinja2 templates from ``templates/``, autoescaped.

The chat page and the shared-chat view are drawn in the browser by the one chat front-end
(``labextension/``, bundled into ``static/``): the chat page carries the server's settings and
the shared view the conversation, each as JSON the ``script_json`` filter keeps inside its
``<script type="application/json">`` element; labels and Markdown are the bundle's business,
never written here. Every other value a template inserts is escaped by Jinja2 unless it is
:class:`~markupsafe.Markup` built here from trusted pieces (the stylesheet, the QR picture).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

__all__ = [
    "SHARE_CSP",
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "is_shared_view_file",
    "is_static_file",
    "render_chat",
    "render_not_found",
    "render_qrcode",
    "render_share",
    "script_json",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# The shared view runs only the chat bundle's scripts from its own server (no inline script);
# inline styles stay allowed for KaTeX's typeset math.
SHARE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'self'"
)
# Scripts, stylesheets, KaTeX's fonts and the bundled packages' licences: templates are
# rendered, never served raw.
_STATIC_TYPES = {".js", ".css", ".woff2"}
_LICENCES = "THIRD-PARTY-LICENSES.txt"
# What the shared view loads (never the chat page's own script): no data, nothing about anyone.
_SHARED_VIEW = ("share.js", "chat.css", "fonts/", _LICENCES)


def _relative(root: Path, path: Path) -> str | None:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    if not parts or any(part.startswith(".") for part in parts) or ".." in parts:
        return None
    return "/".join(parts)


def is_static_file(root: Path, path: Path) -> bool:
    """A script, stylesheet, font or the licences inside ``root``, with no hidden part on the way."""
    relative = _relative(root, path)
    return relative is not None and (path.suffix in _STATIC_TYPES or relative == _LICENCES)


def is_shared_view_file(root: Path, path: Path) -> bool:
    """One of the files the shared view loads: what may be served without a login."""
    return is_static_file(root, path) and str(_relative(root, path)).startswith(_SHARED_VIEW)


def script_json(data: Any) -> Markup:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@cache
def _environment() -> Environment:
    """One template environment: autoescaped, and an unknown variable is an error, not an empty string."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined)
    environment.filters["script_json"] = script_json
    return environment


@cache
def _css() -> Markup:
    """The small pages' stylesheet, inlined (the public page has no login for /static)."""
    return Markup((TEMPLATES_DIR / "page.css").read_text("utf-8"))  # our own file, not user input


def _render(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)


def _when(ms: Any) -> str:
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        return "unknown"
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def render_chat(static_url: str, config: dict[str, Any]) -> str:
    """The chat page; ``config`` reaches its script as JSON (base_url, share links, hub, version)."""
    return _render("chat.html", static=static_url, config=config)


def render_share(conversation: dict[str, Any], static_url: str) -> str:
    """The read-only view of a shared conversation object: the chat bundle under ``static_url``
    draws its messages from the JSON the page carries (serve it with :data:`SHARE_CSP`)."""
    title = conversation.get("title")
    return _render(
        "share.html",
        static=static_url,
        conversation=conversation,
        title=title if isinstance(title, str) and title else "Shared chat",
        updated=_when(conversation.get("updated")),
    )


def render_qrcode(link: str, svg: str) -> str:
    """The QR page: ``svg`` is trusted markup from :func:`g4f_jupyter.service.qr.qr_svg`."""
    return _render("qrcode.html", css=_css(), svg=Markup(svg), link=link)


def render_not_found(message: str) -> str:
    """The page for a missing shared chat: a plain page, not the API's JSON error."""
    return _render("notfound.html", css=_css(), message=message)
