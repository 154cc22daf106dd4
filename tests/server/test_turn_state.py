"""``action: "continue"``/``"variant"`` and the ``conversation`` state a provider returns, over HTTP."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from peers import OpenAICompatible, Peer, add_openai, add_peer

from g4f_jupyter.core import events as ev
from g4f_jupyter.core.runner import CONTINUE_PROMPT

V2 = "backend-api/v2"


class StatefulPeer(Peer):
    """A ``/backend-api/v2`` server whose provider hands back state to be sent next turn."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def answer(self, body: dict[str, Any]) -> bytes:
        turn = len(type(self).bodies)
        events = [
            ev.ProviderInfo(name="Upstream", model="m"),
            ev.Content(f"turn {turn}"),
            ev.Conversation({"Upstream": {"thread": "t-1", "turn": turn}}),
            ev.Finish("stop"),
        ]
        return "".join(ev.frame(e, "ndjson") for e in events).encode()


def lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines()]


@pytest.fixture
def stateful(loopback, user_providers_dir) -> str:
    StatefulPeer.bodies.clear()
    add_peer(user_providers_dir, "Remote", loopback(StatefulPeer))
    return "Remote"


@pytest.fixture
def openai(loopback, user_providers_dir) -> str:
    OpenAICompatible.bodies.clear()
    add_openai(user_providers_dir, "Compat", f"{loopback(OpenAICompatible)}/v1")
    return "Compat"


EXCHANGE = [{"role": "user", "content": "Count to ten."}, {"role": "assistant", "content": "1, 2, 3"}]


@pytest.mark.asyncio
async def test_conversation_state_goes_back_to_its_provider(stateful, raw_fetch) -> None:
    first = await raw_fetch(f"{V2}/conversation", "POST", body={"provider": "Remote", "messages": EXCHANGE[:1]})
    state = next(e["conversation"] for e in lines(first.body) if e["type"] == "conversation")
    assert state == {"Remote": {"Upstream": {"thread": "t-1", "turn": 1}}}  # keyed by our provider's name
    assert "conversation" not in StatefulPeer.bodies[0]
    follow_up = [*EXCHANGE, {"role": "user", "content": "Go on."}]
    again = {"provider": "Remote", "messages": follow_up, "conversation": state}
    second = await raw_fetch(f"{V2}/conversation", "POST", body=again)
    assert second.code == 200
    assert StatefulPeer.bodies[1]["conversation"] == {"Upstream": {"thread": "t-1", "turn": 1}}


@pytest.mark.asyncio
async def test_unkeyed_state_is_passed_as_sent(stateful, raw_fetch) -> None:
    body = {"provider": "Remote", "messages": EXCHANGE[:1], "conversation": {"thread": "t-9"}}
    assert (await raw_fetch(f"{V2}/conversation", "POST", body=body)).code == 200
    assert StatefulPeer.bodies[0]["conversation"] == {"thread": "t-9"}


@pytest.mark.asyncio
async def test_continue_asks_a_model_to_carry_on(openai, raw_fetch) -> None:
    body = {"provider": "Compat", "messages": EXCHANGE, "action": "continue"}
    response = await raw_fetch(f"{V2}/conversation", "POST", body=body)
    sent = OpenAICompatible.bodies[-1]
    assert response.code == 200 and sent["messages"][:2] == EXCHANGE
    assert sent["messages"][-1] == {"role": "user", "content": CONTINUE_PROMPT}
    assert "action" not in sent


@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["variant", "next"])
async def test_other_actions_leave_the_messages_alone(openai, raw_fetch, action) -> None:
    body = {"provider": "Compat", "messages": EXCHANGE[:1], "action": action}
    assert (await raw_fetch(f"{V2}/conversation", "POST", body=body)).code == 200
    assert OpenAICompatible.bodies[-1]["messages"] == EXCHANGE[:1]


@pytest.mark.asyncio
@pytest.mark.parametrize("action", ["continue", "variant"])
async def test_another_gui_server_gets_the_action_itself(stateful, raw_fetch, action) -> None:
    body = {"provider": "Remote", "messages": EXCHANGE, "action": action}
    assert (await raw_fetch(f"{V2}/conversation", "POST", body=body)).code == 200
    assert StatefulPeer.bodies[-1]["action"] == action and StatefulPeer.bodies[-1]["messages"] == EXCHANGE
