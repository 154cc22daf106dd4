"""The wheel carries what an installed package needs: the provider catalog, the pages with the
chat bundles prebuilt (and the licences of what they contain), and the config file that enables
the server extension on install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_catalog_pages_and_the_extension_enabling_config(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("g4f_jupyter-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (ROOT / "providers").glob("*.toml")}
    assert {n.rsplit("/", 1)[-1] for n in names if n.startswith("g4f_jupyter/providers/")} == shipped
    static = {n.removeprefix("g4f_jupyter/web/static/") for n in names if "/web/static/" in n}
    assert {"chat.js", "share.js", "chat.css", "THIRD-PARTY-LICENSES.txt", "fonts/KaTeX_Main-Regular.woff2"} <= static
    assert not any(n.startswith("vendor/") or n == "render.js" for n in static)  # no second copy of a library
    licences = zipfile.ZipFile(wheel).read("g4f_jupyter/web/static/THIRD-PARTY-LICENSES.txt").decode()
    assert all(f"\n{name} " in licences for name in ("dompurify", "highlight.js", "katex", "marked"))
    templates = {n.rsplit("/", 1)[-1] for n in names if n.startswith("g4f_jupyter/web/templates/")}
    assert templates == {"chat.html", "share.html", "qrcode.html", "notfound.html", "page.html", "page.css"}
    [config] = [n for n in names if n.endswith("etc/jupyter/jupyter_server_config.d/g4f_jupyter.json")]
    assert b'"g4f_jupyter": true' in zipfile.ZipFile(wheel).read(config)
