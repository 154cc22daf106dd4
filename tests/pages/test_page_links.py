"""Share links (server and kernel side), QR pictures and the page config's JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
import segno

from g4f_jupyter.errors import BadRequestError
from g4f_jupyter.service.qr import qr_svg
from g4f_jupyter.service.share_links import share_base, share_url, share_url_for
from g4f_jupyter.web.pages import script_json


def test_share_url_joins_base_and_page_path() -> None:
    assert share_url("abc-1", "http://h:8888/a%40b/") == "http://h:8888/a%40b/g4f/chat/abc-1"
    assert share_url("abc-1", "http://h:8888/a%40b", public=True) == "http://h:8888/a%40b/g4f/public/chat/abc-1"


@pytest.mark.parametrize("bad", ["", "..", "a/b", ".x", "a b", "é"])
def test_share_url_rejects_bad_ids(bad: str) -> None:
    with pytest.raises(BadRequestError):
        share_url(bad, "http://h/")


def test_share_base_prefers_setting_then_env_then_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("G4F_SHARE_URL", raising=False)
    assert share_base("", "http://127.0.0.1:9", "/lab/") == "http://127.0.0.1:9/lab/"
    monkeypatch.setenv("G4F_SHARE_URL", "https://env.example/")
    assert share_base("", "http://127.0.0.1:9", "/lab/") == "https://env.example/"
    assert share_base("https://conf.example/x/", "http://127.0.0.1:9", "/lab/") == "https://conf.example/x/"


def test_share_url_for_uses_env_base_and_public_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("G4F_SHARE_URL", "https://chat.example/")
    monkeypatch.setenv("G4F_JUPYTER_PUBLIC_SHARES", "true")
    assert share_url_for("s1") == "https://chat.example/g4f/public/chat/s1"
    monkeypatch.setenv("G4F_JUPYTER_PUBLIC_SHARES", "false")
    assert share_url_for("s1") == "https://chat.example/g4f/chat/s1"
    assert share_url_for("s1", base="http://other/", public=True) == "http://other/g4f/public/chat/s1"


def test_share_url_for_finds_the_running_server(
    jp_serverapp: Any, jp_http_port: int, jp_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("G4F_SHARE_URL", raising=False)
    monkeypatch.delenv("G4F_JUPYTER_PUBLIC_SHARES", raising=False)
    jp_serverapp.write_server_info_file()  # what `jupyter server` does on start
    assert share_url_for("s1") == f"{jp_serverapp.connection_url}g4f/chat/s1"
    assert f":{jp_http_port}{jp_base_url}g4f/chat/s1" in share_url_for("s1")


def test_share_url_for_without_any_server_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("G4F_SHARE_URL", raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    assert share_url_for("s1") is None


def test_qr_svg_is_inline_scalable_and_encodes_the_link() -> None:
    link = "http://127.0.0.1:8888/a%40b/g4f/chat/abc"
    svg = qr_svg(link, title="Link <here>")
    assert svg.startswith("<svg") and "viewBox" in svg and "<?xml" not in svg
    assert "<title>Link &lt;here&gt;</title>" in svg
    size = segno.make(link, error="m", micro=False).symbol_size(border=2)[0]
    assert f'viewBox="0 0 {size} {size}"' in svg
    assert qr_svg(link + "x") != svg


def test_script_json_cannot_close_its_script_element() -> None:
    data = {"share_prefix": "https://x/</script><script>alert(1)</script><!--", "amp": "a&b"}
    text = script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data
