"""Two users on a real JupyterHub: the extension in each server, one shared model, shares between users, privacy."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubrig import Hub

from g4f_jupyter.core.drivers.local import model_path
from g4f_jupyter.service.hub_shares import HubShareError, publish_to_hub

V2 = "backend-api/v2"
PASSWORD = "try-g4f"  # the example config's DummyAuthenticator password


def chat(client: httpx.Client, user: str, prompt: str, **extra: Any) -> list[dict[str, Any]]:
    """Stream a chat through ``client`` from ``user``'s server; the events as they arrived."""
    body = {"messages": [{"role": "user", "content": prompt}], "max_tokens": 16, "temperature": 0, **extra}
    with client.stream("POST", f"user/{user}/{V2}/conversation", json=body) as response:
        assert response.status_code == 200, response.read()
        return [json.loads(line) for line in response.iter_lines() if line]


def answer_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["content"] for e in events if e["type"] == "content")


def model_requests(log: Path) -> int:
    return log.read_text(errors="replace").count("POST /v1/chat/completions")


def embedded_model_mapped(pid: int) -> bool:
    """Whether the process has the embedded GGUF mapped, i.e. has loaded the Local model."""
    return str(model_path()) in Path(f"/proc/{pid}/maps").read_text()


def test_every_users_server_serves_the_extension_through_the_hub(team_hub: Hub) -> None:
    for user in ("alice", "bob"):
        with team_hub.client(user) as client:
            assert client.get(f"user/{user}/{V2}/version").status_code == 200
            providers = client.get(f"user/{user}/{V2}/providers").json()
            assert providers[0]["name"] == "HubModel"  # the hub-wide catalog, before the shipped one
            assert "Local" in [p["name"] for p in providers]  # the embedded model is still on offer
            page = client.get(f"user/{user}/g4f/")
            assert page.status_code == 200
            config = json.loads(re.search(r'<script id="g4f-config"[^>]*>(.*?)</script>', page.text, re.S)[1])
            assert config["base_url"] == f"/user/{user}/"
            # links name the hub's public address, not the server's own port
            assert config["share_prefix"] == f"{team_hub.url}user/{user}/g4f/chat/"


def test_both_users_are_answered_by_the_one_shared_model(team_hub: Hub, shared_model: tuple[str, Path]) -> None:
    before = model_requests(shared_model[1])
    for user in ("alice", "bob"):
        with team_hub.client(user) as client:
            events = chat(client, user, "Say hello.")
        assert events[0]["provider"]["name"] == "HubModel"
        assert answer_of(events).strip()
        assert not embedded_model_mapped(team_hub.server_pid(user))  # the embedded model stays unloaded
    assert model_requests(shared_model[1]) == before + 2


def test_the_embedded_model_loads_only_when_a_user_picks_it(team_hub: Hub) -> None:
    with team_hub.client("bob") as client:
        events = chat(client, "bob", "Say hello.", provider="Local")
    assert events[0]["provider"]["name"] == "Local" and answer_of(events).strip()
    assert embedded_model_mapped(team_hub.server_pid("bob"))
    assert not embedded_model_mapped(team_hub.server_pid("alice"))


def test_alice_shares_a_chat_that_bob_reads_and_a_visitor_does_not(team_hub: Hub) -> None:
    share_id = uuid.uuid4().hex
    alice, bob, visitor = team_hub.client("alice"), team_hub.client("bob"), team_hub.client()
    with alice, bob, visitor:
        answer = answer_of(chat(alice, "alice", "Name a colour."))
        conversation = {
            "id": share_id,
            "title": "Colours",
            "items": [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": answer}],
            "updated": int(time.time() * 1000),
        }
        published = alice.post(f"services/g4f-shares/api/chat/{share_id}", json=conversation)
        assert published.status_code == 200 and published.json() == {"share_id": share_id}

        page = bob.get(f"services/g4f-shares/chat/{share_id}")
        assert page.status_code == 200 and "Colours" in page.text and "Name a colour." in page.text
        stored = bob.get(f"services/g4f-shares/api/chat/{share_id}").json()
        assert stored["items"] == conversation["items"] and stored["owner"] == "alice"

        taken = bob.post(f"services/g4f-shares/api/chat/{share_id}", json={**conversation, "title": "Mine now"})
        assert taken.status_code == 403 and "another user" in taken.json()["error"]["message"]
        assert bob.get(f"services/g4f-shares/api/chat/{share_id}").json()["title"] == "Colours"
        assert bob.get("services/g4f-shares/chat/no-such-share").status_code == 404

        refused = visitor.get(f"services/g4f-shares/chat/{share_id}")
        assert refused.status_code == 302 and "/hub/api/oauth2/authorize" in refused.headers["location"]
        assert visitor.get(f"services/g4f-shares/chat/{share_id}", follow_redirects=True).url.path == "/hub/login"
        assert visitor.post(f"services/g4f-shares/api/chat/{share_id}", json=conversation).status_code == 403
        bad = alice.post(f"services/g4f-shares/api/chat/{share_id}", content=b"{not json")
        assert bad.status_code == 400 and bad.json()["error"]["message"]


def test_buckets_keys_memory_and_usage_stay_private(team_hub: Hub) -> None:
    alice, bob, visitor = team_hub.client("alice"), team_hub.client("bob"), team_hub.client()
    with alice, bob, visitor:
        uploaded = alice.post(f"user/alice/{V2}/files/notes", files=[("files", ("notes.txt", b"alice's secret"))])
        assert uploaded.status_code == 200, uploaded.text
        assert alice.post(f"user/alice/{V2}/memory/alice", json={"id": "c1", "items": [
            {"role": "user", "content": "alice's memory"}]}).status_code == 200
        assert alice.get(f"user/alice/{V2}/memory/alice").status_code == 200
        private = [
            ("GET", f"user/alice/{V2}/files/notes"),
            ("GET", f"user/alice/{V2}/memory/alice"),
            ("GET", f"user/alice/{V2}/keys"),
            ("GET", f"user/alice/{V2}/providers"),
            ("GET", "user/alice/g4f/"),
            ("POST", f"user/alice/{V2}/upload_cookies"),
            ("POST", f"user/alice/{V2}/usage"),
            ("POST", f"user/alice/{V2}/hub/chat/anything"),
        ]
        for method, path in private:
            assert bob.request(method, path).status_code == 403, path
            assert visitor.request(method, path).status_code in (302, 403), path
        assert bob.get(f"user/bob/{V2}/files/notes").status_code == 404  # bob's own server has no such bucket


def server_environment(pid: int) -> dict[str, str]:
    """The environment JupyterHub gave a user's server (what its kernels inherit too)."""
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def test_alices_server_publishes_with_the_credentials_the_hub_gave_it(
    team_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice_env = server_environment(team_hub.server_pid("alice"))
    bob_env = server_environment(team_hub.server_pid("bob"))
    for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_BASE_URL"):
        monkeypatch.setenv(name, alice_env[name])
    monkeypatch.delenv("G4F_HUB_SHARES_URL", raising=False)
    share_id = uuid.uuid4().hex
    conversation = {"title": "From alice's server", "items": [{"role": "user", "content": "hi"}], "updated": 1}

    link = publish_to_hub(share_id, conversation)

    assert link == f"{team_hub.url}services/g4f-shares/chat/{share_id}"
    with team_hub.client("bob") as bob:
        assert "From alice&#39;s server" in bob.get(link).text
    with pytest.raises(HubShareError) as taken:  # bob's server, with bob's rights, cannot overwrite it
        publish_to_hub(share_id, {**conversation, "updated": 2}, token=bob_env["JUPYTERHUB_API_TOKEN"])
    assert taken.value.status == 403
    with pytest.raises(HubShareError) as forged:
        publish_to_hub(share_id, conversation, token="not-a-hub-token")
    assert forged.value.status == 403


def test_alices_page_shares_a_saved_chat_with_the_hub_through_her_server(team_hub: Hub) -> None:
    share_id = uuid.uuid4().hex
    conversation = {"title": "Via the page", "items": [{"role": "user", "content": "page words"}], "updated": 5}
    with team_hub.client("alice") as alice, team_hub.client("bob") as bob:
        assert alice.post(f"user/alice/{V2}/chat/{share_id}", json=conversation).status_code == 200
        published = alice.post(f"user/alice/{V2}/hub/chat/{share_id}")
        assert published.status_code == 200, published.text
        link = published.json()["url"]
        assert link == f"{team_hub.url}services/g4f-shares/chat/{share_id}"
        assert "page words" in bob.get(link).text
        assert bob.get(f"services/g4f-shares/api/chat/{share_id}").json()["owner"] == "alice"
        missing = alice.post(f"user/alice/{V2}/hub/chat/never-saved")
        assert missing.status_code == 404 and missing.json()["error"]["message"]

        # Stop sharing under a hub: the page removes the hub's copy through her server too
        assert alice.delete(f"user/alice/{V2}/chat/{share_id}").status_code == 200
        removed = alice.delete(f"user/alice/{V2}/hub/chat/{share_id}")
        assert removed.status_code == 200 and removed.json() == {"share_id": share_id, "deleted": True}
        assert bob.get(link).status_code == 404
        assert bob.get(f"services/g4f-shares/api/chat/{share_id}").status_code == 404
        again = alice.delete(f"user/alice/{V2}/hub/chat/{share_id}")
        assert again.status_code == 404 and again.json()["error"]["message"]


def test_only_the_publisher_removes_a_hub_share(team_hub: Hub) -> None:
    share_id = uuid.uuid4().hex
    conversation = {"title": "Mine", "items": [{"role": "user", "content": "alice's words"}], "updated": 1}
    api = f"services/g4f-shares/api/chat/{share_id}"
    with team_hub.client("alice") as alice, team_hub.client("bob") as bob, team_hub.client() as visitor:
        assert alice.post(api, json=conversation).status_code == 200
        refused = bob.delete(api)
        assert refused.status_code == 403 and "another user" in refused.json()["error"]["message"]
        assert visitor.delete(api).status_code == 403
        assert bob.get(api).json()["title"] == "Mine"  # still there

        deleted = alice.delete(api)
        assert deleted.status_code == 200 and deleted.json() == {"share_id": share_id, "deleted": True}
        gone = bob.get(api)
        assert gone.status_code == 404 and gone.json()["error"]["message"]
        assert bob.get(f"services/g4f-shares/chat/{share_id}").status_code == 404
        assert alice.delete(api).status_code == 404


@contextlib.contextmanager
def hub_login(hub: Hub, user: str) -> Iterator[httpx.Client]:
    """A client holding the cookies a browser gets by logging in to the hub's form as ``user``."""
    with httpx.Client(base_url=hub.url, timeout=60, follow_redirects=True) as client:
        form = client.get("hub/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        assert xsrf, form.text[:2000]
        done = client.post("hub/login", data={"username": user, "password": PASSWORD, "_xsrf": xsrf[1]})
        assert done.status_code == 200 and "/hub/login" not in str(done.url), done.url
        yield client


def answered_after_restart(hub: Hub, old_pid: int, request: Callable[[], httpx.Response]) -> httpx.Response:
    """``request``'s answer once the hub has started a new shares service (the proxy says 503 until then)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with contextlib.suppress(AssertionError, httpx.HTTPError):
            if hub.shares_service_pid() != old_pid and (response := request()).status_code < 500:
                return response
        time.sleep(0.5)
    raise AssertionError("the hub did not restart the shares service")


def test_a_readers_login_survives_a_restart_of_the_shares_service(team_hub: Hub) -> None:
    share_id = uuid.uuid4().hex
    conversation = {"title": "Kept", "items": [{"role": "user", "content": "still readable"}], "updated": 1}
    page = f"services/g4f-shares/chat/{share_id}"
    secret_file = team_hub.state / "shares" / "hub_cookie_secret"
    with team_hub.client("alice") as alice, hub_login(team_hub, "bob") as bob:
        assert alice.post(f"services/g4f-shares/api/chat/{share_id}", json=conversation).status_code == 200
        first = bob.get(page)  # the service's OAuth round trip, then the page
        assert first.status_code == 200 and "still readable" in first.text
        assert bob.get(page, follow_redirects=False).status_code == 200  # the service's cookie alone now
        assert secret_file.stat().st_mode & 0o777 == 0o600
        kept = secret_file.read_bytes()

        old = team_hub.shares_service_pid()
        os.kill(old, signal.SIGTERM)  # the hub starts its managed service again when it exits (it polls every ~30 s)
        again = answered_after_restart(team_hub, old, lambda: bob.get(page, follow_redirects=False))
        assert again.status_code == 200 and "still readable" in again.text, (again.status_code, again.headers)
        assert secret_file.read_bytes() == kept
