"""The operator's policy on a real JupyterHub: set once in the hub-wide config directory, resolved
per user from the hub's groups, obeyed by every door; and the admins' usage table.

The shared model is ``benchmarks/openai_source.py`` (an OpenAI-compatible stream in its own
process, 50 chunks 60 ms apart, so an answer lasts about 3 s). The user servers' budget clock is
moved by a file (``sitecustomize`` below, on the servers' ``PYTHONPATH``), as a day passing would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubrig import REPO, Hub, free_port, hub
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

V2 = "backend-api/v2"
POLICY = {"students": {"providers": ["HubModel"], "max_streams": 2, "daily_tokens": {"HubModel": 200}}}
ANSWER_TOKENS = 53  # the source's usage: 3 prompt + 50 completion tokens
SITECUSTOMIZE = '''"""Test only: g4f-jupyter's clock runs ahead by the seconds written in $G4F_TEST_CLOCK_FILE."""
import os
import time

if os.environ.get("G4F_TEST_CLOCK_FILE"):
    from g4f_jupyter.service import usage_ledger

    def _clock() -> float:
        try:
            with open(os.environ["G4F_TEST_CLOCK_FILE"]) as file:
                return time.time() + float(file.read() or 0)
        except (OSError, ValueError):
            return time.time()

    usage_ledger.clock = _clock
'''


@pytest.fixture(scope="module")
def slow_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shared model server: its ``/v1`` URL (answers take about 3 s)."""
    port = free_port()
    source = subprocess.Popen(
        [sys.executable, str(REPO / "benchmarks" / "openai_source.py"), "--port", str(port), "--chunks", "50"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert source.stdout is not None and source.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}/d60/v1"
    finally:
        source.kill()
        source.wait()


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "offset"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def policy_hub(tmp_path_factory: pytest.TempPathFactory, slow_source: str, clock_file: Path) -> Iterator[Hub]:
    """The example hub with a hub-wide policy for group ``students``; carol, dave and frank are
    students, erin is in no group (no limits)."""
    workdir = tmp_path_factory.mktemp("policy-hub")
    etc = workdir / "etc"
    (etc / "g4f" / "providers").mkdir(parents=True)
    (etc / "g4f" / "providers" / "HubModel.toml").write_text(
        (REPO / "hub" / "etc" / "g4f" / "providers" / "HubModel.toml").read_text()
    )
    settings = {"G4FSettings": {"policy": POLICY, "usage_report_seconds": 1}}
    (etc / "jupyter_server_config.json").write_text(json.dumps(settings))
    site = workdir / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    extra = (
        f"c.Spawner.environment['JUPYTER_CONFIG_PATH'] = {str(etc)!r}\n"
        f"c.Spawner.environment['PYTHONPATH'] = {str(site)!r}\n"
        f"c.Spawner.environment['G4F_TEST_CLOCK_FILE'] = {str(clock_file)!r}\n"
        "c.JupyterHub.load_roles.append({'name': 'g4f-test-usage-reader', 'services': ['g4f-test-admin'],\n"
        "    'scopes': ['custom:g4f-usage:read']})\n"
    )
    with hub(workdir, slow_source, extra_config=extra) as running:
        for user in ("carol", "dave", "frank"):
            running.add_user(user, groups=["students"])
        running.add_user("erin")
        yield running


def _body(provider: str | None = "HubModel", **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}], "provider": provider, **extra}


def _stream(client: httpx.Client, user: str, started: Any = None) -> tuple[int, dict[str, str], str]:
    """One answer from ``user``'s server through the hub: (status, headers, the whole body)."""
    with client.stream("POST", f"user/{user}/{V2}/conversation", json=_body()) as response:
        if started is not None:
            started()
        return response.status_code, dict(response.headers), response.read().decode()


async def _kernel_output(hub_: Hub, user: str, code: str) -> str:
    """Run ``code`` in a new kernel of ``user``'s server (started through the hub); its text output."""
    headers = {"Authorization": f"token {hub_.tokens[user]}"}
    with hub_.client(user) as client:
        kernel = client.post(f"user/{user}/api/kernels", json={"name": "python3"}).json()["id"]
    url = hub_.url.replace("http", "ws", 1) + f"user/{user}/api/kernels/{kernel}/channels"
    socket = await websocket_connect(HTTPRequest(url, headers=headers))
    msg_id = uuid.uuid4().hex
    socket.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": uuid.uuid4().hex,
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False},
    }))
    texts: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(socket.read_message(), 120)
        assert raw is not None, "the kernel's socket closed"
        message = json.loads(raw)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            texts.append(content["text"])
        elif kind in ("display_data", "execute_result"):
            texts.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            texts.append("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    socket.close()
    with hub_.client(user) as client:
        client.delete(f"user/{user}/api/kernels/{kernel}")
    return "".join(texts)


def test_a_student_sees_only_the_allowed_provider_in_every_listing(policy_hub: Hub) -> None:
    with policy_hub.client("carol") as carol, policy_hub.client("erin") as erin:
        assert [p["name"] for p in carol.get(f"user/carol/{V2}/providers").json()] == ["HubModel"]
        models = carol.get(f"user/carol/{V2}/models").json()
        assert all(m["providers"] == ["HubModel"] for m in models)
        assert carol.get(f"user/carol/{V2}/models/Local").json() == []
        assert [m["id"] for m in carol.get(f"user/carol/{V2}/models/HubModel").json()] == ["bench"]  # live list
        assert "Local" in [p["name"] for p in erin.get(f"user/erin/{V2}/providers").json()]  # no group, no limits
    listing = asyncio.run(_kernel_output(policy_hub, "carol", "%load_ext g4f_jupyter\n%g4f list"))
    assert "HubModel" in listing and "Local" not in listing and "OpenAI" not in listing, listing


def test_another_provider_is_a_403_naming_the_policy(policy_hub: Hub) -> None:
    with policy_hub.client("carol") as carol:
        for body in (_body("Local"), _body("OpenAI"), _body(None, model="SmolLM2-135M-Instruct")):
            refused = carol.post(f"user/carol/{V2}/conversation", json=body)
            assert refused.status_code == 403, body
            message = refused.json()["error"]["message"]
            assert message.startswith("g4f policy (group 'students'): ") and "allowed: HubModel" in message
    asked = asyncio.run(_kernel_output(
        policy_hub, "carol", "import g4f_jupyter\ntry:\n    g4f_jupyter.ask('hi', provider='Local')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc.status, exc)"))
    assert "ForbiddenError 403 g4f policy (group 'students')" in asked, asked


def test_a_third_stream_over_the_limit_is_a_429_and_other_users_are_unaffected(policy_hub: Hub) -> None:
    clients = {user: policy_hub.client(user) for user in ("dave", "erin")}
    opened: list[str] = []
    with ThreadPoolExecutor(6) as pool:
        mine = [pool.submit(_stream, clients["dave"], "dave", lambda: opened.append("dave")) for _ in range(2)]
        others = [pool.submit(_stream, clients["erin"], "erin") for _ in range(3)]
        deadline = time.monotonic() + 30
        while opened.count("dave") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        third = clients["dave"].post(f"user/dave/{V2}/conversation", json=_body())
        answers = [f.result() for f in mine + others]
    assert third.status_code == 429 and third.headers["Retry-After"] == "5"
    assert "at most 2 answers at a time per user" in third.json()["error"]["message"]
    for status, _, text in answers:
        assert status == 200 and text.count('"type":"content"') == 50 and '"type":"finish"' in text
    assert _stream(clients["dave"], "dave")[0] == 200  # the two are done: a slot is free again
    for client in clients.values():
        client.close()


def test_a_spent_daily_budget_is_a_429_until_the_next_day(policy_hub: Hub, clock_file: Path) -> None:
    with policy_hub.client("frank") as frank:
        for _ in range(4):  # 4 x 53 tokens: past the budget of 200
            assert _stream(frank, "frank")[0] == 200
        spent = frank.post(f"user/frank/{V2}/conversation", json=_body())
        assert spent.status_code == 429
        assert "daily token budget for HubModel is spent (212 of 200 tokens today)" in spent.json()["error"]["message"]
        wait = int(spent.headers["Retry-After"])
        assert 0 < wait <= 86400
        assert frank.post(f"user/frank/{V2}/create", params={"prompt": "hi"}).status_code == 429  # every door
        clock_file.write_text(str(wait - 30))  # half a minute before midnight UTC: still spent
        still = frank.post(f"user/frank/{V2}/conversation", json=_body())
        assert still.status_code == 429 and int(still.headers["Retry-After"]) <= 31
        clock_file.write_text(str(wait + 1))  # the next day
        status, _, text = _stream(frank, "frank")
    assert status == 200 and '"type":"finish"' in text


def _tokens_by_user(client: httpx.Client, expected: dict[str, int], deadline_s: float = 30) -> dict[str, int]:
    """Tokens per user in the usage table, once it shows ``expected`` (servers report every second)."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = client.get("services/g4f-usage/api/usage")
        assert response.status_code == 200, response.text
        by_user: dict[str, int] = {}
        for row in response.json():
            assert row["provider"] == "HubModel", row
            by_user[row["user"]] = by_user.get(row["user"], 0) + row["tokens"]
        if expected.items() <= by_user.items() or time.monotonic() > deadline:
            return by_user
        time.sleep(0.5)


def test_admins_read_every_users_usage_and_users_cannot(policy_hub: Hub) -> None:
    # dave's 3 answers, erin's 3, frank's 4 today and 1 the next day (the test's service holds the read scope)
    expected = {"dave": 3 * ANSWER_TOKENS, "erin": 3 * ANSWER_TOKENS, "frank": 5 * ANSWER_TOKENS}
    by_user = _tokens_by_user(policy_hub.admin, expected)
    assert {user: by_user.get(user) for user in expected} == expected
    gina = policy_hub.add_user("gina", groups=["g4f-usage-admins"])
    with httpx.Client(base_url=policy_hub.url, headers={"Authorization": f"token {gina}"}, timeout=60) as admin:
        page = admin.get("services/g4f-usage/")
        assert page.status_code == 200 and "<td>dave</td>" in page.text and "HubModel: 159" in page.text
    with policy_hub.client("carol") as carol:
        assert carol.get("services/g4f-usage/api/usage").status_code == 403
        assert carol.get("services/g4f-usage/").status_code == 403
        # a report is stored as the token's user, whatever it claims
        claimed = carol.post("services/g4f-usage/api/usage", json={"days": {"2020-01-01": {"X": {"requests": 9,
                                                                                                 "tokens": 9}}}})
        assert claimed.status_code == 200 and claimed.json()["user"] == "carol"
        forged = carol.post("services/g4f-usage/api/usage", json={"user": "dave", "days": {}})
        assert forged.status_code == 400 and "user" in forged.json()["error"]["message"]
