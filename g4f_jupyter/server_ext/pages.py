"""HTML of the g4f pages: templates from ``static/`` filled with escaped values.

Plain ``string.Template`` substitution; every inserted value goes through
:func:`html.escape` (text) or :func:`script_json` (data for the page's script), so a shared
chat can never inject markup.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

__all__ = [
    "STATIC_DIR",
    "script_json",
    "markdown_html",
    "render_chat",
    "render_share",
    "render_qrcode",
    "render_not_found",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# A fenced code block, closed by a line of three backticks or by the end of the text.
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)(?:^```[ \t]*$|\Z)", re.S | re.M)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_MEDIA_PARTS = {"image_url": "[image]", "input_audio": "[audio]"}


@cache
def _template(name: str) -> Template:
    return Template((STATIC_DIR / name).read_text("utf-8"))


@cache
def _css() -> str:
    """The stylesheet, inlined into server-rendered pages (the public page has no login for /static)."""
    return (STATIC_DIR / "chat.css").read_text("utf-8")


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _paragraphs(text: str) -> str:
    parts = (p.strip("\n") for p in _PARAGRAPH_BREAK.split(text))
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in parts if p.strip())


def markdown_html(text: str) -> str:
    """Minimal markdown, escaped: fenced code blocks and paragraphs (as the chat page's script)."""
    out: list[str] = []
    pos = 0
    for match in _FENCE.finditer(text):
        out.append(_paragraphs(text[pos : match.start()]))
        lang = match.group(1).strip()
        cls = f' class="language-{html.escape(lang)}"' if lang else ""
        out.append(f"<pre><code{cls}>{html.escape(match.group(2).rstrip(chr(10)))}</code></pre>")
        pos = match.end()
    out.append(_paragraphs(text[pos:]))
    return "".join(out)


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


def _item_html(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    role = item.get("role") if item.get("role") in ("user", "assistant", "system") else "assistant"
    head = html.escape(role if role != "assistant" else _provider_label(item.get("provider")) or "assistant")
    reasoning = item.get("reasoning")
    if isinstance(reasoning, dict):  # the chat widget stores {"text": ...}
        reasoning = reasoning.get("text")
    details = ""
    if isinstance(reasoning, str) and reasoning.strip():
        details = f"<details class=\"reasoning\"><summary>Reasoning</summary>{markdown_html(reasoning)}</details>"
    usage = _usage_text(item.get("usage"))
    foot = f'<div class="usage">{html.escape(usage)}</div>' if usage else ""
    body = markdown_html(_content_text(item.get("content")))
    return (
        f'<article class="message {role}"><div class="role">{head}</div>'
        f'{details}<div class="content">{body}</div>{foot}</article>'
    )


def _when(ms: Any) -> str:
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        return "unknown"
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def render_chat(static_url: str, config: dict[str, Any]) -> str:
    """The chat page; ``config`` reaches its script as JSON (base_url, share links, version)."""
    return _template("chat.html").substitute(
        static=html.escape(static_url), config=script_json(config), version=html.escape(str(config.get("version", "")))
    )


def render_share(conversation: dict[str, Any]) -> str:
    """The read-only view of a shared conversation object."""
    title = conversation.get("title")
    items = conversation.get("items")
    return _template("share.html").substitute(
        css=_css(),
        title=html.escape(title if isinstance(title, str) and title else "Shared chat"),
        updated=html.escape(_when(conversation.get("updated"))),
        items="\n".join(_item_html(i) for i in items) if isinstance(items, list) else "",
    )


def render_qrcode(link: str, svg: str) -> str:
    """The QR page: ``svg`` is trusted markup from :func:`g4f_jupyter.service.qr.qr_svg`."""
    return _template("qrcode.html").substitute(css=_css(), svg=svg, link=html.escape(link))


def render_not_found(message: str) -> str:
    """The page for a missing shared chat: a plain page, not the API's JSON error."""
    return _template("notfound.html").substitute(css=_css(), message=html.escape(message))
