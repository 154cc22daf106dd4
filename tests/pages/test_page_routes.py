"""The g4f pages behind Jupyter login: chat page, its config, static bundles, QR page, shared-chat view."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from g4f_jupyter.service.shares import save_share

SHARE = {
    "id": "c1",
    "title": "Tea <script>alert(1)</script>",
    "added": 1_700_000_000_000,
    "updated": 1_700_000_000_500,
    "items": [
        {"role": "user", "content": "How do I <b>brew</b> tea?"},
        {
            "role": "assistant",
            "content": "Boil water.\n\n```python\nprint('<tea>')\n```",
            "provider": {"name": "Local", "label": "Local", "model": "SmolLM2-135M-Instruct"},
            "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
        },
    ],
}

NO_AUTH = {"Authorization": ""}


async def fetch(jp_fetch: Any, *parts: str, **kwargs: Any) -> Any:
    """A response whatever its status (jp_fetch raises on >= 400 by default)."""
    kwargs.setdefault("raise_error", False)
    kwargs.setdefault("follow_redirects", False)
    return await jp_fetch(*parts, **kwargs)


def page_config(body: str) -> dict[str, Any]:
    match = re.search(r'<script id="g4f-config" type="application/json">(.*?)</script>', body, re.S)
    assert match, "the page carries its JSON config"
    return json.loads(match.group(1))


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["g4f", "g4f/", "g4f/chat/"])
async def test_chat_page_renders_config_from_the_server(jp_fetch: Any, jp_base_url: str, path: str) -> None:
    response = await fetch(jp_fetch, path)
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    body = response.body.decode()
    config = page_config(body)
    assert config["base_url"] == jp_base_url
    assert config["share_prefix"].endswith(f"{jp_base_url}g4f/chat/")
    assert config["share_prefix"].startswith("http://127.0.0.1:")
    assert config["version"]
    assert f'<script src="{jp_base_url}g4f/static/chat.js" defer>' in body
    assert "_xsrf=" in response.headers.get("Set-Cookie", ""), "the page hands out the XSRF cookie its script echoes"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")  # its own script only


@pytest.mark.asyncio
async def test_the_lab_panel_reads_the_same_config_as_json(jp_fetch: Any, jp_base_url: str) -> None:
    page = page_config((await fetch(jp_fetch, "g4f/")).body.decode())
    response = await fetch(jp_fetch, "g4f/config")
    assert response.code == 200 and response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body) == page
    assert page["base_url"] == jp_base_url and page["hub_shares"] is False


@pytest.mark.asyncio
async def test_static_files_are_served_with_their_types(jp_fetch: Any) -> None:
    script = await fetch(jp_fetch, "g4f/static/chat.js")
    assert script.code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert script.body.startswith(b"/*! g4f-jupyter chat front-end")  # the bundle built from labextension/
    assert b"import" not in script.body[:200], "a classic script, whole: no module imports"
    shared = await fetch(jp_fetch, "g4f/static/share.js")
    assert shared.code == 200 and "javascript" in shared.headers["Content-Type"]
    style = await fetch(jp_fetch, "g4f/static/chat.css")
    assert style.code == 200 and style.headers["Content-Type"].startswith("text/css")
    assert b"fonts/KaTeX_Main-Regular.woff2" in style.body


@pytest.mark.asyncio
async def test_static_files_revalidate_by_etag_answer_head_and_ranges(jp_fetch: Any) -> None:
    full = await fetch(jp_fetch, "g4f/static/chat.js")
    etag = full.headers["Etag"]
    assert etag and full.headers["Cache-Control"] == "no-cache"
    again = await fetch(jp_fetch, "g4f/static/chat.js", headers={"If-None-Match": etag})
    assert again.code == 304 and again.body == b""
    head = await fetch(jp_fetch, "g4f/static/chat.js", method="HEAD")
    assert head.code == 200 and head.body == b"" and int(head.headers["Content-Length"]) == len(full.body)
    part = await fetch(jp_fetch, "g4f/static/chat.js", headers={"Range": "bytes=0-9"})
    assert part.code == 206 and part.body == full.body[:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(full.body)}"
    anonymous = await fetch(jp_fetch, "g4f/static/chat.js", method="HEAD", headers=dict(NO_AUTH))
    assert anonymous.code == 302 and "/login?next=" in anonymous.headers["Location"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "name",
    ["chat.html", "share.html", "page.css", "missing.js", "..%2Fpages.py", "%2Fetc%2Fpasswd", ".hidden.js",
     "..%2Fstatic%2Fx.js", "..%2Ftemplates%2Fpage.css"],
)
async def test_static_refuses_templates_unknown_files_and_traversal(jp_fetch: Any, name: str) -> None:
    response = await fetch(jp_fetch, "g4f/static/" + name)
    assert response.code in (400, 404)
    assert "message" in json.loads(response.body)["error"]


@pytest.mark.asyncio
async def test_qrcode_page_has_svg_and_link(jp_fetch: Any, jp_base_url: str) -> None:
    response = await fetch(jp_fetch, "g4f/qrcode/share-1")
    assert response.code == 200
    body = response.body.decode()
    assert "<svg" in body and "<path" in body
    link = re.search(r'<a id="share-link" href="([^"]+)"', body).group(1)
    assert link.startswith("http://127.0.0.1:") and link.endswith(f"{jp_base_url}g4f/chat/share-1")


@pytest.mark.asyncio
@pytest.mark.parametrize("route", ["g4f/qrcode/", "g4f/chat/"])
@pytest.mark.parametrize("bad", ["..", ".hidden", "a b", "x" * 200, "été", "a%2F..%2Fb"])
async def test_bad_share_ids_are_400_json(jp_fetch: Any, route: str, bad: str) -> None:
    response = await fetch(jp_fetch, route + bad)
    assert response.code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert "invalid share id" in json.loads(response.body)["error"]["message"]


@pytest.mark.asyncio
async def test_shared_chat_view_carries_the_chat_as_json_for_the_bundle(jp_fetch: Any, jp_base_url: str) -> None:
    save_share("tea-share", SHARE)
    response = await fetch(jp_fetch, "g4f/chat/tea-share")
    assert response.code == 200
    body = response.body.decode()
    assert "<script>alert(1)</script>" not in body and "<b>brew" not in body
    assert "<h1>Tea &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in body
    # the conversation travels as JSON that cannot close its element; the chat bundle draws it
    found = re.search(r'<script id="g4f-share" type="application/json">(.*?)</script>', body, re.S)
    assert found and json.loads(found[1]) == SHARE
    assert "\\u003cb\\u003ebrew" in found[1]
    # labels (who answered, usage) are the bundle's: none are written on the server
    assert "SmolLM2-135M-Instruct" not in body.replace(found[1], "") and "total 12" not in body
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts == ['<script id="g4f-share" type="application/json">',
                       f'<script src="{jp_base_url}g4f/static/share.js" defer>']
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp and "unsafe-eval" not in csp


@pytest.mark.asyncio
async def test_fonts_and_the_licences_of_the_bundled_packages_are_served(jp_fetch: Any) -> None:
    font = await fetch(jp_fetch, "g4f/static/fonts/KaTeX_Main-Regular.woff2")
    assert font.code == 200 and "font/woff2" in font.headers["Content-Type"]
    licences = await fetch(jp_fetch, "g4f/static/THIRD-PARTY-LICENSES.txt")
    assert licences.code == 200
    text = licences.body.decode()
    for package, licence in [("marked", "MIT"), ("dompurify", "Apache License"), ("highlight.js", "BSD 3-Clause"),
                             ("katex", "MIT")]:
        assert f"\n{package} " in text or text.startswith(package), package
        assert licence in text, licence
    for refused in ["vendor/marked/marked.umd.js", "render.js", "LICENSE", "fonts/..%2F..%2Fpages.py", "fonts/.x.js",
                    "fonts/THIRD-PARTY-LICENSES.txt"]:
        assert (await fetch(jp_fetch, "g4f/static/" + refused)).code in (400, 404), refused


@pytest.mark.asyncio
async def test_missing_share_is_a_404_page(jp_fetch: Any) -> None:
    response = await fetch(jp_fetch, "g4f/chat/never-shared")
    assert response.code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "does not exist" in response.body.decode()


@pytest.mark.asyncio
async def test_public_path_is_not_mounted_by_default(jp_fetch: Any) -> None:
    save_share("tea-share", SHARE)
    response = await fetch(jp_fetch, "g4f/public/chat/tea-share")
    assert response.code == 404
    anonymous = await fetch(jp_fetch, "g4f/public/chat/tea-share", headers=dict(NO_AUTH))
    assert anonymous.code == 404


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path", ["g4f/", "g4f/chat/", "g4f/config", "g4f/static/chat.js", "g4f/qrcode/tea-share", "g4f/chat/tea-share"]
)
async def test_every_page_redirects_to_login_without_credentials(jp_fetch: Any, jp_base_url: str, path: str) -> None:
    save_share("tea-share", SHARE)
    response = await fetch(jp_fetch, path, headers=dict(NO_AUTH))
    assert response.code == 302
    assert response.headers["Location"].startswith(f"{jp_base_url}login?next=")
    assert b"Tea" not in response.body


@pytest.mark.asyncio
async def test_share_links_use_the_configured_share_url(jp_fetch: Any, jp_serverapp: Any) -> None:
    jp_serverapp.web_app.settings["g4f_settings"].share_url = "https://chat.example.org/lab/"
    page = await fetch(jp_fetch, "g4f/")
    assert page_config(page.body.decode())["share_prefix"] == "https://chat.example.org/lab/g4f/chat/"
    qr = await fetch(jp_fetch, "g4f/qrcode/abc")
    assert 'href="https://chat.example.org/lab/g4f/chat/abc"' in qr.body.decode()
