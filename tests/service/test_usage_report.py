"""Usage per user for the operator: a server's report of its turn records, and the hub's table of reports.

The usage service that takes the report is a loopback server answering as the hub's service
does (``POST api/usage`` with the server's hub token); the table is the real SQLite store.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from g4f_jupyter.errors import BadRequestError
from g4f_jupyter.hub.usage_service import render_table
from g4f_jupyter.service import usage_ledger
from g4f_jupyter.service.usage_report import report_usage, usage_service_url
from g4f_jupyter.service.usage_table import store_report, usage_rows

NOON = datetime(2025, 3, 4, 12, 0, tzinfo=timezone.utc).timestamp()


def _report(day: str, provider: str, requests: int, tokens: int) -> dict[str, Any]:
    return {"days": {day: {provider: {"requests": requests, "tokens": tokens}}}}


def test_the_table_keeps_the_largest_totals_so_late_or_repeated_reports_change_nothing() -> None:
    assert store_report("ann", _report("2025-03-04", "HubModel", 3, 150)) == 1
    store_report("ann", _report("2025-03-04", "HubModel", 2, 100))  # an older report arriving late
    store_report("bob", _report("2025-03-04", "HubModel", 1, 40))
    store_report("ann", _report("2025-03-03", "Local", 5, 500))
    rows = usage_rows(7, today=date(2025, 3, 4))
    assert rows == [
        {"user": "ann", "day": "2025-03-04", "provider": "HubModel", "requests": 3, "tokens": 150},
        {"user": "bob", "day": "2025-03-04", "provider": "HubModel", "requests": 1, "tokens": 40},
        {"user": "ann", "day": "2025-03-03", "provider": "Local", "requests": 5, "tokens": 500},
    ]
    assert [r["day"] for r in usage_rows(1, today=date(2025, 3, 4))] == ["2025-03-04", "2025-03-04"]
    store_report("ann", _report("2025-03-04", "HubModel", 4, 160))
    assert usage_rows(1, today=date(2025, 3, 4))[0]["tokens"] == 160


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_report("04/03/2025", "HubModel", 1, 1), "days.04/03/2025"),
        (_report("2025-03-04", "HubModel", -1, 1), "days.2025-03-04.HubModel.requests"),
        ({"days": {"2025-03-04": {"HubModel": {"requests": 1, "tokens": 1, "user": "bob"}}}}, "user"),
        ({"user": "bob", "days": {}}, "user"),
        ([], "body"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(body: Any, field: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        store_report("ann", body)
    assert field in str(refused.value)
    assert usage_rows(366) == []


def test_the_admin_table_escapes_what_users_and_providers_are_called() -> None:
    page = render_table([
        {"user": "<b>eve</b>", "day": "2025-03-04", "provider": "P&Q", "requests": 2, "tokens": 30},
        {"user": "<b>eve</b>", "day": "2025-03-03", "provider": "Local", "requests": 1, "tokens": 12},
    ])
    assert "<b>eve</b>" not in page and "&lt;b&gt;eve&lt;/b&gt;" in page
    assert "<td>3</td><td>42</td><td>Local: 12, P&amp;Q: 30</td>" in page  # the user's totals


@pytest.fixture
def usage_service(loopback: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The hub's usage service as a user's server reaches it: the reports it took, with their token."""
    taken: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            taken.append((self.headers["Authorization"], body))
            answer = json.dumps({"user": "ann", "rows": 1}).encode()
            self.send_response(200 if self.path == "/services/g4f-usage/api/usage" else 404)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    monkeypatch.setenv("G4F_HUB_USAGE_URL", loopback(Handler) + "/services/g4f-usage")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "ann-server-token")
    monkeypatch.setattr(usage_ledger, "clock", lambda: NOON)
    return taken


@pytest.mark.asyncio
async def test_a_server_reports_today_and_yesterday_when_they_change(
    usage_service: list[tuple[str, dict[str, Any]]],
) -> None:
    usage_ledger.record_turn("HubModel", "m", 53, False, when=NOON - 86400)
    usage_ledger.record_turn("HubModel", "m", 53, False)
    usage_ledger.record_turn("Local", "m", 7, True)
    sent = await report_usage()
    assert usage_service == [("token ann-server-token", sent)]
    assert sent == {"days": {
        "2025-03-03": {"HubModel": {"requests": 1, "tokens": 53}},
        "2025-03-04": {"HubModel": {"requests": 1, "tokens": 53}, "Local": {"requests": 1, "tokens": 7}},
    }}
    assert await report_usage(sent) == sent and len(usage_service) == 1  # nothing new: nothing sent
    usage_ledger.record_turn("HubModel", "m", 10, False)
    again = await report_usage(sent)
    assert again is not None and again["days"]["2025-03-04"]["HubModel"] == {"requests": 2, "tokens": 63}
    assert len(usage_service) == 2


@pytest.mark.asyncio
async def test_a_service_that_cannot_take_the_report_leaves_it_for_next_time(
    usage_service: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    usage_ledger.record_turn("HubModel", "m", 5, False)
    monkeypatch.setenv("G4F_HUB_USAGE_URL", "http://127.0.0.1:9/services/g4f-usage/")  # nothing listens
    assert await report_usage() is None
    monkeypatch.setenv("G4F_HUB_USAGE_URL", usage_service_url().replace("g4f-usage", "moved"))  # type: ignore[union-attr]
    assert await report_usage() is None  # a 404 is not taken either


def test_outside_a_hub_there_is_nowhere_to_report(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("G4F_HUB_USAGE_URL", "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert usage_service_url() is None
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_HUB_URL", "https://hub.example.org/jh/hub/")
    monkeypatch.setenv("JUPYTERHUB_BASE_URL", "/jh/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t")
    assert usage_service_url() == "https://hub.example.org/jh/services/g4f-usage/"
