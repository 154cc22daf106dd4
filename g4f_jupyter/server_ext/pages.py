"""HTML of the g4f pages: Jinja2 templates from ``templates/``, autoescaped.

Every value a template inserts is escaped by Jinja2 unless it is :class:`~markupsafe.Markup`
built here from trusted pieces (the stylesheet, the QR picture), so a shared chat can never
inject markup. Markdown is not rendered here: the shared-chat view carries each message's
text escaped and the page's own renderer (``static/render.js``) turns it into sanitized HTML
in the browser, so one renderer serves both pages. Data for the chat page's script goes
through the ``script_json`` filter, which cannot close its ``<script>`` element.
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

_MEDIA_PARTS = {"image_url": "[image]", "input_audio": "[audio]"}
_ROLES = ("user", "assistant", "system")


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
    """The stylesheet, inlined into server-rendered pages (the public page has no login for /static)."""
    return Markup((STATIC_DIR / "chat.css").read_text("utf-8"))  # our own file, not user input


def _render(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)


def _content_text(content: Any) -> str:
    """A message's text; attached files and media appear as short placeholders."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif "bucket_id" in part:
            texts.append(f"[attached: {part.get('name') or 'files'}]")
        elif part.get("type") in _MEDIA_PARTS:
            texts.append(_MEDIA_PARTS[part["type"]])
    return "\n\n".join(texts)


def _provider_label(provider: Any) -> str:
    if isinstance(provider, dict):
        name = provider.get("label") or provider.get("name") or ""
        model = provider.get("model") or ""
        return f"{name} · {model}" if name and model else str(name or model)
    return provider if isinstance(provider, str) else ""


def _usage_text(usage: Any) -> str:
    if not isinstance(usage, dict):
        return ""
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return " · ".join(f"{k.split('_')[0]} {usage[k]}" for k in keys if isinstance(usage.get(k), (int, float)))


def _item(item: dict[str, Any]) -> dict[str, Any]:
    """What the share template shows of one stored message."""
    role = item.get("role") if item.get("role") in _ROLES else "assistant"
    reasoning = item.get("reasoning")
    if isinstance(reasoning, dict):  # the chat widget stores {"text": ...}
        reasoning = reasoning.get("text")
    return {
        "role": role,
        "head": role if role != "assistant" else _provider_label(item.get("provider")) or "assistant",
        "reasoning": reasoning if isinstance(reasoning, str) and reasoning.strip() else None,
        "body": _content_text(item.get("content")),
        "usage": _usage_text(item.get("usage")),
    }


def _when(ms: Any) -> str:
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        return "unknown"
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def render_chat(static_url: str, config: dict[str, Any]) -> str:
    """The chat page; ``config`` reaches its script as JSON (base_url, share links, version)."""
    return _render("chat.html", static=static_url, config=config, version=str(config.get("version", "")))


def render_share(conversation: dict[str, Any], static_url: str | None = None) -> str:
    """The read-only view of a shared conversation object.

    Its markdown renderer loads from ``static_url``; without one (a server that does not serve
    ``static/``) the messages show as escaped plain text.
    """
    title = conversation.get("title")
    items = conversation.get("items")
    return _render(
        "share.html",
        css=_css(),
        static=static_url,
        title=title if isinstance(title, str) and title else "Shared chat",
        updated=_when(conversation.get("updated")),
        items=[_item(i) for i in items if isinstance(i, dict)] if isinstance(items, list) else [],
    )


def render_qrcode(link: str, svg: str) -> str:
    """The QR page: ``svg`` is trusted markup from :func:`g4f_jupyter.service.qr.qr_svg`."""
    return _render("qrcode.html", css=_css(), svg=Markup(svg), link=link)


def render_not_found(message: str) -> str:
    """The page for a missing shared chat: a plain page, not the API's JSON error."""
    return _render("notfound.html", css=_css(), message=message)

