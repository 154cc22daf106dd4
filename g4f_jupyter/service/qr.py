"""Share links as QR codes, drawn on the server (no script or network needed to view them)."""

from __future__ import annotations

import segno

__all__ = ["qr_svg"]


def qr_svg(text: str, title: str = "") -> str:
    """``text`` as an inline, size-free ``<svg>`` element (it scales with its CSS box).

    Error correction "M" keeps the picture readable from a photo of a screen; the light
    modules are painted white so the code also scans on a dark page. segno escapes the title.
    """
    code = segno.make(text, error="m", micro=False)
    return code.svg_inline(
        border=2, title=title or None, svgclass="g4f-qr", lineclass=None, light="#fff", omitsize=True
    )
