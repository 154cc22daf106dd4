"""Small pieces of presentation shared by the widgets (Markdown outputs, escaped notes, links, QR codes)."""

from __future__ import annotations

import html
import time
from typing import Any

from ..service.qr import qr_svg

__all__ = ["human_size", "link_html", "markdown_outputs", "note_html", "now_ms", "qr_html"]

_COLORS = {"error": "#b00020", "warning": "#8a5300", "info": "#555"}


def markdown_outputs(text: str) -> tuple[dict[str, Any], ...]:
    """An Output widget's ``outputs`` showing ``text`` as Markdown (plain text as fallback)."""
    if not text:
        return ()
    return ({"output_type": "display_data", "data": {"text/markdown": text, "text/plain": text}, "metadata": {}},)


def note_html(message: str, kind: str = "info") -> str:
    """One escaped status line; ``kind`` is error, warning or info."""
    if not message:
        return ""
    icon = {"error": "⚠ ", "warning": "⚠ "}.get(kind, "")
    color = _COLORS.get(kind, _COLORS["info"])
    return f'<div class="g4f-{kind}" style="color:{color}">{icon}{html.escape(message)}</div>'


def human_size(size: int) -> str:
    """Bytes as B / KB / MB for file lists."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def now_ms() -> int:
    return int(time.time() * 1000)


def link_html(url: str) -> str:
    """A link that opens in a new tab, showing its own address."""
    escaped = html.escape(url, quote=True)
    return f'<a href="{escaped}" target="_blank" rel="noopener">{escaped}</a>'


def qr_html(url: str, title: str) -> str:
    """The QR code of ``url``, sized to be scanned from a screen."""
    return f'<div style="width:180px">{qr_svg(url, title=title)}</div>'
