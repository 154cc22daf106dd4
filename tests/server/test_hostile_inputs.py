"""Hostile input over every route and every field: never a 5xx, every 4xx a JSON error naming the problem.

Property-based (hypothesis) against the real server over real HTTP. Hypothesis drives a
plain blocking client in a worker thread while the test's event loop keeps serving.
Chat requests go to ``Peer`` (a loopback /backend-api/v2 server, tests/server/peers.py), made
the operator's default too, so no case waits on a model. Each test prints how many cases it sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from forms import multipart
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peers import Peer, add_peer

from g4f_jupyter.service.request import ChatBody

HI = [{"role": "user", "content": "hi"}]
V2 = "backend-api/v2"
EXAMPLES = 150  # per property; each is one request or a few

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=10**18, max_value=10**40) | st.integers(max_value=-(10**18))
    | st.text(max_size=40) | st.sampled_from(["", "0", "-1", "1e999", "abc", "../../etc/passwd", "a\r\nb", "\x00"])
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Path segments: anything but empty. Dot segments are resolved by the client before sending, so
# "chat/.." reaches the server as "backend-api/v2": that must answer JSON too.
segments = st.text(min_size=1, max_size=60) | st.sampled_from([".", ".."])
# Where this server's errors are JSON. A path resolved out of them ("media/.." is the server's own
# root, "files/b/media/.." Jupyter's files/<path>) is Jupyter's: there only "no 5xx" is checked.
OURS = re.compile(r"(backend-api/v2|pa|media|images|thumbnail|search|files/[^/]+/(media|thumbnail))(/|$)")
query_text = st.text(max_size=40) | st.sampled_from(["99999999999999999999", "-5", "1e3", "0x10", "true", "nan"])
header_text = st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=40).map(str.strip)
CHAT_FIELDS = [*ChatBody.model_fields, "unknown_extra", "base_url"]

RAW_BODIES = [
    b"", b"null", b"[]", b"5", b'"text"', b"{", b'{"messages": NaN}', b"\xff\xfe", b'{"messages": 1e999}',
    b"[" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000, rb'{"messages": [{"role": "user", "content": "\ud800"}]}',
    rb'{"messages": [{"role": "\udfff", "content": "x"}]}',
    b'{"messages": [{"role": "user", "content": "x"}], "media": 5}',
]


def raw_get(url: str, header_lines: list[str]) -> tuple[int, str, bytes]:
    """GET ``url`` over a plain socket with ``header_lines`` as written (bytes no HTTP library sends)."""
    parsed = httpx.URL(url)
    head = f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.host}\r\nConnection: close\r\n"
    head += "".join(line + "\r\n" for line in header_lines) + "\r\n"
    with socket.create_connection((parsed.host, parsed.port or 80), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    head_bytes, _, body = rest.partition(b"\r\n\r\n")
    kind = next((line.split(b":", 1)[1].strip().decode() for line in head_bytes.split(b"\r\n")
                 if line.lower().startswith(b"content-type:")), "")
    return int(status_line.split()[1]), kind, body


@dataclass
class Probe:
    """Sends requests, counts them, and checks every answer is no 5xx and every 4xx a JSON error."""

    client: httpx.Client
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        resolved = response.request.url.raw_path.decode()[len(self.client.base_url.raw_path):]
        self.sent += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        where = f"{method} {path[:120]} {str(kwargs)[:300]}"
        assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
        if response.status_code >= 400 and OURS.match(resolved):
            assert response.headers.get("content-type", "").startswith("application/json"), where
            message = response.json()["error"]["message"]
            assert isinstance(message, str) and message.strip(), where
        return response

    def report(self, name: str) -> None:
        print(f"\nhostile cases sent ({name}): {self.sent}; statuses {dict(sorted(self.statuses.items()))}")


@pytest.fixture
def probe(
    server_url: str, jp_auth_header: dict[str, str], jp_serverapp: Any, user_providers_dir: Path,
    loopback: Callable[..., str],
) -> Iterator[Probe]:
    add_peer(user_providers_dir, "Peer", loopback(Peer))
    jp_serverapp.web_app.settings["g4f_settings"].default_provider = "Peer"
    with httpx.Client(base_url=server_url, headers=jp_auth_header, timeout=60, follow_redirects=False) as client:
        yield Probe(client)


def _hypothesis(test: Callable[..., None]) -> Callable[..., None]:
    return settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(test)


async def _run(check: Callable[[], None]) -> None:
    """Run blocking requests (a hypothesis property) in a thread, so this loop keeps serving them."""
    await asyncio.to_thread(check)


@pytest.mark.asyncio
async def test_conversation_every_field(probe: Probe) -> None:
    @_hypothesis
    @given(st.sampled_from(CHAT_FIELDS), json_values, st.booleans())
    def check(name: str, value: Any, multipart_body: bool) -> None:
        body = {"messages": HI, "provider": "Peer", name: value}
        if multipart_body:
            data, headers = multipart([("json", None, json.dumps(body).encode()), ("files", "a.png", b"\x89PNG")])
            response = probe("POST", f"{V2}/conversation", content=data, headers=headers)
        else:
            response = probe("POST", f"{V2}/conversation", json=body)
        if response.status_code == 400:  # the one field changed is the one named
            assert response.json()["error"]["message"].startswith(name), (name, value, response.text)

    message = st.dictionaries(st.sampled_from(["role", "content", "name"]), json_values)

    @_hypothesis
    @given(st.lists(json_values, max_size=3), st.lists(message, max_size=3))
    def messages(value: Any, listed: Any) -> None:
        probe("POST", f"{V2}/conversation", json={"messages": value, "provider": "Peer"})
        probe("POST", f"{V2}/conversation", json={"messages": listed, "provider": "Peer"})

    def raw_bodies() -> None:
        for raw in RAW_BODIES:
            probe("POST", f"{V2}/conversation", content=raw, headers={"Content-Type": "application/json"})

    await _run(check)
    await _run(messages)
    await _run(raw_bodies)
    probe.report("conversation")


@pytest.mark.asyncio
async def test_conversation_headers_and_multipart(probe: Probe) -> None:
    # (Authorization carries the Jupyter token here; refusing a client without it is tested elsewhere.)
    names = ["x-api-key", "x_api_key", "x-api-base", "x_api_base", "x-ignored", "x_ignored"]

    @_hypothesis
    @given(st.sampled_from(names), header_text, st.binary(max_size=200), st.text(max_size=30), st.binary(max_size=64))
    def check(name: str, value: str, json_part: bytes, filename: str, data: bytes) -> None:
        probe("POST", f"{V2}/conversation", json={"messages": HI}, headers={name: value})
        body, headers = multipart([("json", None, json_part), ("files", filename.replace('"', ""), data)])
        probe("POST", f"{V2}/conversation", content=body, headers=headers)

    await _run(check)
    probe.report("conversation headers/multipart")


@pytest.mark.asyncio
async def test_create_every_parameter(probe: Probe) -> None:
    names = ["prompt", "model", "provider", "web_search", "filter_markdown", "cache", "max_tokens", "temperature",
             "top_p", "stop", "seed", "api_base", "base_url", "api_key"]

    @_hypothesis
    @given(st.dictionaries(st.sampled_from(names), query_text, max_size=4), st.sampled_from(names), json_values)
    def check(query: dict[str, str], name: str, value: Any) -> None:
        query = {"provider": "Peer", **query}
        probe("GET", f"{V2}/create?{urlencode(query)}")
        probe("POST", f"{V2}/create", json={"prompt": "hi", "provider": "Peer", name: value})

    await _run(check)
    probe.report("create")


@pytest.mark.asyncio
async def test_records_memory_and_shares(probe: Probe) -> None:
    @_hypothesis
    @given(json_values, segments, st.dictionaries(st.sampled_from(["search", "page", "page_size", "x"]), query_text))
    def check(body: Any, segment: str, query: dict[str, str]) -> None:
        name = quote(segment, safe="")
        probe("POST", f"{V2}/usage", json=body)
        probe("POST", f"{V2}/log", json=body)
        probe("POST", f"{V2}/memory/{name}", json=body)
        probe("POST", f"{V2}/memory/{name}", json={"id": "c", "items": body})
        probe("GET", f"{V2}/memory/{name}?{urlencode(query)}")
        probe("POST", f"{V2}/chat/{name}", json=body)
        probe("POST", f"{V2}/chat/{name}", json={"id": "c", "items": [], "updated": body})
        stamp = "".join(c for c in str(body)[:60] if c.isascii() and c.isprintable()).strip()  # no edge blanks (h11)
        probe("GET", f"{V2}/chat/{name}", headers={"If-None-Match": stamp})

    def raw_bodies() -> None:
        for raw in RAW_BODIES:
            for path in ("usage", "log", "memory/u", "chat/s1"):
                probe("POST", f"{V2}/{path}", content=raw, headers={"Content-Type": "application/json"})

    await _run(check)
    await _run(raw_bodies)
    probe.report("usage/log/memory/chat")


@pytest.mark.asyncio
async def test_catalog_speech_cookies(probe: Probe) -> None:
    @_hypothesis
    @given(segments, st.dictionaries(st.sampled_from(["text", "voice", "language", "x"]), query_text, max_size=3),
           header_text, st.text(max_size=30), st.binary(max_size=64))
    def check(segment: str, query: dict[str, str], key: str, filename: str, data: bytes) -> None:
        name = quote(segment, safe="")
        probe("GET", f"{V2}/models/{name}", headers={"x-api-key": key, "x-api-base": key})
        probe("GET", f"{V2}/models/AnyProvider?{urlencode({'ignored': segment})}")
        probe("GET", f"{V2}/{name}/{name}")  # no such route: a JSON 404
        probe("GET", f"{V2}/synthesize/{name}?{urlencode(query)}")
        probe("GET", f"{V2}/synthesize/Local?{urlencode(query)}")
        body, headers = multipart([("file", filename.replace('"', ""), data)])
        probe("POST", f"{V2}/upload_cookies", content=body, headers=headers)

    def listings() -> None:
        for path in ("version", "models", "providers"):
            probe("GET", f"{V2}/{path}?cache=%FF&x=1")

    await _run(check)
    await _run(listings)
    probe.report("catalog/synthesize/cookies")


@pytest.mark.asyncio
async def test_file_routes(probe: Probe) -> None:
    names = ["delete_files", "refine_chunks_with_spacy", "url", "skip", "random"]

    @_hypothesis
    @given(segments, segments, st.dictionaries(st.sampled_from(names), query_text, max_size=3))
    def check(bucket: str, name: str, query: dict[str, str]) -> None:
        b, n, q = quote(bucket, safe=""), quote(name, safe=""), urlencode(query)
        probe("GET", f"{V2}/files/{b}?{q}")
        probe("DELETE", f"{V2}/files/{b}")
        probe("GET", f"files/{b}/media/{n}?{q}")
        probe("GET", f"media/{n}")
        probe("GET", f"search/{n}?{q}")
        body, headers = multipart([("files", name.replace('"', ""), bucket.encode())])
        probe("POST", f"{V2}/files/{b}", content=body, headers=headers)

    await _run(check)
    probe.report("files/media/search")


@pytest.mark.asyncio
async def test_raw_header_bytes(probe: Probe, server_url: str, jp_auth_header: dict[str, str]) -> None:
    """Header values with any byte (control characters included): what Tornado refuses is a JSON 400 as well."""
    auth = [f"{name}: {value}" for name, value in jp_auth_header.items()]
    names = ["x-ignored", "x_ignored", "If-None-Match", "x-api-key", "x-secret", "x-api-base", "x-user"]
    any_byte = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n"),
                       max_size=40)

    @_hypothesis
    @given(st.sampled_from(names), any_byte, st.sampled_from(["chat/s1", "models/Local", "version", "x/y"]))
    def check(name: str, value: str, path: str) -> None:
        status, kind, body = raw_get(f"{server_url}{V2}/{path}", [*auth, f"{name}: {value}"])
        probe.sent += 1
        probe.statuses[status] = probe.statuses.get(status, 0) + 1
        assert status < 500, (name, value, path, status, body[:300])
        if status >= 400:
            assert kind.startswith("application/json"), (name, value, path, status, body[:300])
            assert json.loads(body)["error"]["message"].strip(), (name, value, path)

    await _run(check)
    probe.report("raw header bytes")
