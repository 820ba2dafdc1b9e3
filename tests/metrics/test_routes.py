"""The metrics API: who may read it, what it answers, and 422s that name the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.metrics.support import (
    MONDAY,
    add_incident,
    add_item,
    add_page,
    add_postmortem,
    at,
    define,
    resolved,
)
from tocsin.app.service import Tocsin

API = "/api/v1/metrics"
REPORTS = ("response", "frequency", "alerts", "oncall", "postmortems", "action-items")


def get(client: TestClient, caller: Caller, report: str, **params: Any) -> dict[str, Any]:
    answer = client.get(f"{API}/{report}", params=params, headers=caller.headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@pytest.fixture
def history(tocsin: Tocsin) -> None:
    minute = timedelta(minutes=1)
    with tocsin.database.transaction() as session:
        define(session, {"shop": ["checkout", "payments"]})
        first = add_incident(
            session,
            resolved(at(0), impact=4 * minute, ack=2 * minute, resolve=30 * minute),
            severity="SEV-1",
            services=["checkout"],
        )
        add_incident(
            session,
            resolved(at(60), ack=4 * minute, resolve=90 * minute),
            severity="SEV-2",
            services=["payments"],
        )
        add_page(session, "ana", at(0), incident=first)
        add_postmortem(session, first, at(48 * 60), published=at(47 * 60))
        add_item(session, at(50 * 60), status="done", team="shop", done=at(74 * 60), incident=first)
        add_item(session, at(50 * 60), team="shop", due=MONDAY.date())


@pytest.mark.parametrize("report", REPORTS)
def test_every_report_needs_a_login(client: TestClient, report: str) -> None:
    assert client.get(f"{API}/{report}").status_code == 401


@pytest.mark.usefixtures("history")
def test_response_times_in_seconds_with_counts(client: TestClient, viewer: Caller) -> None:
    found = get(client, viewer, "response", service="checkout")
    assert found["query"] == {
        "from": None,
        "to": None,
        "severity": [],
        "service": "checkout",
        "team": None,
        "source": None,
    }
    assert found["incidents"] == 1
    assert found["mttd"] == {
        "count": 1,
        "mean_seconds": 240.0,
        "median_seconds": 240.0,
        "p90_seconds": 240.0,
    }
    everything = get(client, viewer, "response", team="shop")
    assert everything["mtta"] == {
        "count": 2,
        "mean_seconds": 180.0,
        "median_seconds": 180.0,
        "p90_seconds": 240.0,
    }
    assert everything["mttr"]["mean_seconds"] == 3600.0
    unknown_impact = get(client, viewer, "response", severity="SEV2")
    assert unknown_impact["query"]["severity"] == ["SEV2"]
    assert unknown_impact["mttd"] == {
        "count": 0,
        "mean_seconds": None,
        "median_seconds": None,
        "p90_seconds": None,
    }


@pytest.mark.usefixtures("history")
def test_frequency_oncall_and_the_period(client: TestClient, viewer: Caller) -> None:
    week = {"from": MONDAY.isoformat(), "to": (MONDAY + timedelta(weeks=1)).isoformat()}
    found = get(client, viewer, "frequency", zone="Europe/Paris", **week)
    assert (found["zone"], found["total"], found["severities"]) == (
        "Europe/Paris",
        2,
        ["SEV-1", "SEV-2"],
    )
    # The period starts at 02:00 on Monday in Paris and ends at 02:00 the next Monday.
    assert [(each["week"], each["start"], each["total"]) for each in found["weeks"]] == [
        ("2026-W23", "2026-06-01", 2),
        ("2026-W24", "2026-06-08", 0),
    ]
    assert found["weeks"][0]["by_severity"] == {"SEV-1": 1, "SEV-2": 1}
    assert found["weeks"][0]["by_service"] == {"checkout": 1, "payments": 1}
    oncall = get(client, viewer, "oncall", **week)
    assert oncall["people"] == [{"person": "ana", "time_zone": "UTC", "pages": 1, "after_hours": 1}]
    assert "08:00-18:00" in oncall["after_hours"]
    later = {"from": (MONDAY + timedelta(minutes=30)).isoformat()}
    assert get(client, viewer, "response", **later)["incidents"] == 1


@pytest.mark.parametrize(
    ("report", "params", "field", "words"),
    [
        ("response", {"severity": "SEV-9"}, "severity", "configured levels: SEV-1"),
        ("response", {"source": "pager"}, "source", "expected one of manual, user_report"),
        ("response", {"service": "nope"}, "service", "no service named 'nope'"),
        ("oncall", {"team": "nobody"}, "team", "no team named 'nobody'; teams: shop"),
        ("alerts", {"severity": "SEV-1"}, "severity", "expected one of critical, error"),
        ("alerts", {"source": "manual"}, "source", "expected one of alertmanager"),
        ("frequency", {"zone": "Mars/Olympus"}, "zone", "unknown time zone 'Mars/Olympus'"),
        (
            "response",
            {"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
            "to",
            "must be after from",
        ),
        ("response", {"from": "2026-06-02T00:00:00"}, "from", "timezone"),
        ("alerts", {"limit": "0"}, "limit", "greater than or equal to 1"),
        ("frequency", {"from": "1980-01-01T00:00:00Z"}, "from", "at most 1100 weeks"),
        ("postmortems", {"severity": "SEV-9"}, "severity", "configured levels: SEV-1"),
        ("postmortems", {"team": "nobody"}, "team", "no team named 'nobody'; teams: shop"),
        ("postmortems", {"zone": "Mars/Olympus"}, "zone", "unknown time zone"),
        ("postmortems", {"source": "pager"}, "source", "expected one of manual"),
        ("action-items", {"team": "nobody"}, "team", "no team named 'nobody'; teams: shop"),
        ("action-items", {"service": "nope"}, "service", "no service named 'nope'"),
        (
            "action-items",
            {"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
            "to",
            "must be after from",
        ),
        ("action-items", {"to": "tomorrow"}, "to", "datetime"),
        ("action-items", {"from": "1980-01-01T00:00:00Z"}, "from", "at most 1100 weeks"),
    ],
)
@pytest.mark.usefixtures("history")
def test_bad_filters_are_refused_naming_the_field(
    client: TestClient,
    viewer: Caller,
    report: str,
    params: dict[str, str],
    field: str,
    words: str,
) -> None:
    answer = client.get(f"{API}/{report}", params=params, headers=viewer.headers)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == ["query", field]
    assert words in error["msg"]


@pytest.mark.usefixtures("history")
def test_postmortems_and_action_items(client: TestClient, viewer: Caller) -> None:
    found = get(client, viewer, "postmortems", team="shop")
    assert found["query"]["team"] == "shop"
    assert found["total"] == {
        "due": 1,
        "on_time": 1,
        "late": 0,
        "overdue": 0,
        "not_yet_due": 0,
        "on_time_rate": 1.0,
    }
    assert [each["team"] for each in found["teams"]] == ["shop"]
    assert found["weeks"][0]["week"] == "2026-W23"
    assert get(client, viewer, "postmortems", severity="SEV-2")["total"]["due"] == 0
    items = get(client, viewer, "action-items", zone="Europe/Paris")
    assert items["zone"] == "Europe/Paris"
    [shop] = items["teams"]
    assert (shop["team"], shop["created"], shop["done"], shop["open"]) == ("shop", 2, 1, 1)
    assert (shop["completion_rate"], shop["median_days_to_done"]) == (0.5, 1.0)
    # The item without an incident matches no incident filter.
    assert get(client, viewer, "action-items", severity="SEV-1")["total"]["created"] == 1
