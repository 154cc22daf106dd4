"""downloads.json jobs against a real HTTP server on loopback, and the SSRF guard."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest
from bucket_docs import sse_events

from g4f_jupyter.service.buckets import TextChunk, ingest, upload_files
from g4f_jupyter.service.buckets.downloads import DownloadLimits, DownloadRefused, check_url, fetch
from g4f_jupyter.store.layout import bucket_dir

PAGES = {
    "/notes.txt": ("text/plain; charset=utf-8", b"Downloaded notes: the orchard has 31 trees."),
    "/article": ("text/html", b"<html><body><p>The downloaded article body.</p><script>evil()</script></body></html>"),
    "/program": ("application/x-msdownload", b"MZ"),
    "/big.txt": ("text/plain", b"x" * 5000),
}


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server's naming
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/notes.txt")
            self.end_headers()
            return
        if self.path not in PAGES:
            self.send_error(404)
            return
        kind, body = PAGES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(loopback: Callable[[type[BaseHTTPRequestHandler]], str]) -> str:
    return loopback(_Site)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.asyncio
async def test_bucket_download_jobs_fetch_and_report_each_failure(site) -> None:
    jobs = [
        {"url": f"{site}/notes.txt"},
        {"urls": [f"{site}/article", f"{site}/missing", f"{site}/program", f"http://127.0.0.1:{_closed_port()}/x"]},
        {"url": "file:///etc/passwd"},
    ]
    upload_files("dl", [("downloads.json", json.dumps(jobs).encode()), ("local.txt", b"Local file.")])
    text, events = [], []
    async for item in ingest("dl", allow_private=True):
        (text.append(item.text) if isinstance(item, TextChunk) else events.append(item.data))
    body = "".join(text)
    assert "the orchard has 31 trees." in body and "The downloaded article body." in body and "Local file." in body
    assert "evil()" not in body
    assert [e["count"] for e in events if e.get("action") == "download"] == [1, 2]
    errors = [e["error"]["message"] for e in events if "error" in e]
    assert len(errors) == 4
    assert any("/missing: HTTP 404" in m for m in errors)
    assert any("/program: unsupported content type" in m for m in errors)
    refused = "cannot connect (offline or refused)"
    assert any(m.startswith("download http://127.0.0.1:") and refused in m for m in errors)
    assert any("file:///etc/passwd: only http(s) URLs" in m for m in errors)
    assert events[-1]["action"] == "done"
    assert not (bucket_dir("dl") / "downloads.json").exists()  # jobs are consumed


@pytest.mark.asyncio
async def test_bucket_download_guard_refuses_loopback_unless_allowed(site) -> None:
    with pytest.raises(DownloadRefused, match="non-public address"):
        await check_url(f"{site}/notes.txt")
    with pytest.raises(DownloadRefused, match="non-public address"):
        await check_url("http://[::1]/x")
    with pytest.raises(DownloadRefused, match="non-public address"):
        await check_url("http://169.254.169.254/latest/meta-data/")
    await check_url(f"{site}/notes.txt", allow_private=True)
    name, body = await fetch(f"{site}/moved", allow_private=True)  # redirect followed, guard on each hop
    assert body.startswith(b"Downloaded notes") and name.startswith("127.0.0.1_") and name.endswith(".txt")
    with pytest.raises(DownloadRefused, match="larger than 100 bytes"):
        await fetch(f"{site}/big.txt", allow_private=True, limits=DownloadLimits(max_bytes=100))


@pytest.mark.asyncio
async def test_bucket_download_over_http_is_refused_for_private_addresses_by_default(site, upload, fetch) -> None:
    jobs = json.dumps([{"url": f"{site}/notes.txt"}]).encode()
    assert (await upload("ssrf", [("downloads.json", jobs)])).code == 200
    events = sse_events((await fetch("backend-api/v2/files/ssrf/stream")).body)
    first = events[0]["error"]["message"]
    assert first.startswith(f"download {site}/notes.txt: 127.0.0.1 resolves to a non-public address")
    assert events[-1] == {"action": "done", "size": 0}
