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

from ..service.conversations import item_text

__all__ = [
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "render_chat",
    "render_not_found",
    "render_qrcode",
    "render_share",
    "script_json",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


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


def _plain(items: list[Any]) -> list[dict[str, str]]:
    """Who said what, as plain text: the view of a server that does not serve the bundle."""
    return [
        {"role": str(item.get("role", "")), "text": item_text(item)}
        for item in items
        if isinstance(item, dict)
    ]


def render_share(conversation: dict[str, Any], static_url: str | None = None) -> str:
    """The read-only view of a shared conversation object.

    The chat bundle under ``static_url`` draws its messages from the JSON the page carries;
    without one (a server that does not serve the bundle) they show as escaped plain text.
    """
    title = conversation.get("title")
    items = conversation.get("items")
    return _render(
        "share.html",
        css=_css(),
        static=static_url,
        conversation=conversation,
        title=title if isinstance(title, str) and title else "Shared chat",
        updated=_when(conversation.get("updated")),
        plain=[] if static_url or not isinstance(items, list) else _plain(items),
    )


def render_qrcode(link: str, svg: str) -> str:
    """The QR page: ``svg`` is trusted markup from :func:`g4f_jupyter.service.qr.qr_svg`."""
    return _render("qrcode.html", css=_css(), svg=Markup(svg), link=link)


def render_not_found(message: str) -> str:
    """The page for a missing shared chat: a plain page, not the API's JSON error."""
    return _render("notfound.html", css=_css(), message=message)
