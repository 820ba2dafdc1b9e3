"""The on-call load report on a small case computed by hand, as JSON and CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.oncall.support import at, client_without_engine, iso, put_schedule, user
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock
from tocsin.paging.tables import EscalationRun, Page

REPORT = "/api/v1/oncall/report"
RANGE = {"from": iso("2026-01-05T00:00Z"), "to": iso("2026-01-07T00:00Z")}


def add_page(tocsin: Tocsin, person: str, when: datetime) -> None:
    with tocsin.database.transaction() as session:
        run = EscalationRun(
            subject_type="manual",
            subject_key=f"{person}-{when.isoformat()}",
            title="Disk full",
            policy_name="p",
            policy={},
            urgency="high",
            state="resolved",
            started_at=when,
            updated_at=when,
        )
        session.add(run)
        session.flush()
        session.add(
            Page(
                run_id=run.id,
                user_name=person,
                step_index=0,
                title="Disk full",
                urgency="high",
                created_at=when,
            )
        )


@pytest.fixture
def client(tocsin: Tocsin, admin: Caller) -> Iterator[TestClient]:
    """Two schedules, three people, an override, incidents and pages, 5-7 January 2026.

    small/primary turns daily at 00:00 UTC: alice on Monday the 5th, bob on
    Tuesday the 6th; carol overrides alice 20:00-22:00 on Monday.
    backup/secondary has alice on Mondays 12:00-14:00 only (inside her
    primary day, so her total stays 22 hours). bob works 10:00-20:00 in New
    York (15:00-01:00 UTC); the others have the default 09:00-17:00 UTC.
    """
    user(tocsin, "alice")
    user(
        tocsin,
        "bob",
        time_zone="America/New_York",
        working_hours={
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "10:00",
            "end": "20:00",
        },
    )
    user(tocsin, "carol")
    put_schedule(
        tocsin,
        "small",
        {
            "layers": [
                {
                    "name": "primary",
                    "rotation": "daily",
                    "start": "2026-01-05",
                    "participants": ["alice", "bob"],
                }
            ]
        },
    )
    put_schedule(
        tocsin,
        "backup",
        {
            "layers": [
                {
                    "name": "secondary",
                    "rotation": "daily",
                    "participants": ["alice"],
                    "restrictions": [{"days": ["mon"], "start": "12:00", "end": "14:00"}],
                }
            ]
        },
    )
    add_page(tocsin, "bob", at("2026-01-06T03:00Z"))
    add_page(tocsin, "bob", at("2026-01-06T16:00Z"))
    add_page(tocsin, "bob", at("2026-01-07T03:00Z"))
    with client_without_engine(tocsin) as test_client:
        made = test_client.post(
            "/api/v1/schedules/small/overrides",
            json={
                "layer": "primary",
                "user": "carol",
                "start": iso("2026-01-05T20:00Z"),
                "end": iso("2026-01-05T22:00Z"),
            },
            headers=admin.headers,
        )
        assert made.status_code == 201, made.text
        yield test_client


def declare(client: TestClient, admin: Caller, detected: str, commander: str, drill: bool) -> None:
    severities = {
        "level": "SEV-3",
        "name": "Minor",
        "response_time": "1 hour",
        "communication": "Daily",
        "escalation": "None",
    }
    client.put("/api/v1/severities/SEV-3", json=severities, headers=admin.headers)
    made = client.post(
        "/api/v1/incidents",
        json={"title": "x", "severity": "SEV-3", "detected_at": iso(detected), "drill": drill},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    assigned = client.post(
        f"/api/v1/incidents/{made.json()['reference']}/roles",
        json={"role": "incident_commander", "user": commander},
        headers=admin.headers,
    )
    assert assigned.status_code == 200, assigned.text


def test_figures_for_a_small_case_computed_by_hand(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, admin: Caller, viewer: Caller
) -> None:
    clock.set(at("2026-01-09T00:00Z"))
    declare(client, admin, "2026-01-05T10:00Z", "bob", drill=False)
    declare(client, admin, "2026-01-05T11:00Z", "alice", drill=True)
    declare(client, admin, "2026-01-08T10:00Z", "alice", drill=False)
    answer = client.get(REPORT, params=RANGE, headers=viewer.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["schedule"]) == (RANGE["from"], RANGE["to"], None)
    assert body["people"] == [
        {
            "person": "alice",
            "time_zone": "UTC",
            "hours_on_call": 22.0,
            "hours_outside_working_hours": 14.0,
            "layers": [
                {"schedule": "backup", "layer": "secondary", "hours": 2.0},
                {"schedule": "small", "layer": "primary", "hours": 22.0},
            ],
            "incidents_handled": 0,
            "pages": 0,
            "pages_outside_working_hours": 0,
        },
        {
            "person": "bob",
            "time_zone": "America/New_York",
            "hours_on_call": 24.0,
            "hours_outside_working_hours": 14.0,
            "layers": [{"schedule": "small", "layer": "primary", "hours": 24.0}],
            "incidents_handled": 1,
            "pages": 2,
            "pages_outside_working_hours": 1,
        },
        {
            "person": "carol",
            "time_zone": "UTC",
            "hours_on_call": 2.0,
            "hours_outside_working_hours": 2.0,
            "layers": [{"schedule": "small", "layer": "primary", "hours": 2.0}],
            "incidents_handled": 0,
            "pages": 0,
            "pages_outside_working_hours": 0,
        },
    ]

    csv = client.get(REPORT, params={**RANGE, "format": "csv"}, headers=viewer.headers)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.text.splitlines() == [
        "person,time_zone,hours_on_call,hours_outside_working_hours,incidents_handled,pages,"
        "pages_outside_working_hours,hours backup/secondary,hours small/primary",
        "alice,UTC,22.0,14.0,0,0,0,2.0,22.0",
        "bob,America/New_York,24.0,14.0,1,2,1,0.0,24.0",
        "carol,UTC,2.0,2.0,0,0,0,0.0,2.0",
    ]

    one = client.get(REPORT, params={**RANGE, "schedule": "backup"}, headers=viewer.headers)
    assert [(p["person"], p["hours_on_call"]) for p in one.json()["people"]] == [
        ("alice", 2.0),
        ("bob", 0.0),
    ]


BAD_REPORTS: list[tuple[dict[str, str], int, str | None]] = [
    ({"from": iso("2026-01-05T00:00Z")}, 422, "to"),
    ({**RANGE, "to": RANGE["from"]}, 422, "to"),
    ({**RANGE, "to": iso("2027-01-07T00:00Z")}, 422, "to"),
    ({**RANGE, "from": "2026-01-05T00:00:00"}, 422, "from"),
    ({**RANGE, "format": "xml"}, 422, "format"),
    ({**RANGE, "schedule": "nope"}, 404, None),
]


def test_bad_report_requests(client: TestClient, viewer: Caller) -> None:
    for params, status, field in BAD_REPORTS:
        answer = client.get(REPORT, params=params, headers=viewer.headers)
        assert answer.status_code == status, (params, answer.text)
        if field is not None:
            assert answer.json()["detail"][0]["loc"] == ["query", field], params
        assert client.get(REPORT, params=params).status_code == 401
