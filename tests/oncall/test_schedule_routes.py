"""Who is on call and the shifts, through the API, for the seed schedule and others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.oncall.support import (
    SEED_SCHEDULE,
    apply_seed,
    at,
    client_without_engine,
    iso,
    put_schedule,
    user,
    z,
)
from tocsin.app.service import Tocsin

#: The seed's weeks from its first Monday 10:00 UTC handoff: (primary, secondary).
SEED_WEEKS = [
    ("engineer-a", "engineer-b"),
    ("engineer-b", "engineer-c"),
    ("engineer-c", "engineer-a"),
]
FIRST_HANDOFF = at("2026-01-05T10:00Z")


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    apply_seed(tocsin)
    with client_without_engine(tocsin) as test_client:
        yield test_client


def who(client: TestClient, caller: Caller, when: str) -> dict[str, tuple[str | None, str, str]]:
    answer = client.get(
        "/api/v1/oncall",
        params={"schedule": SEED_SCHEDULE, "at": when},
        headers=caller.headers,
    )
    assert answer.status_code == 200, answer.text
    (schedule,) = answer.json()
    assert schedule["schedule"] == SEED_SCHEDULE
    assert schedule["time_zone"] == "UTC"
    return {
        layer["layer"]: (layer["person"], layer["start"], layer["end"])
        for layer in schedule["layers"]
    }


def test_each_seed_week_and_each_monday_handoff(client: TestClient, viewer: Caller) -> None:
    for week in range(6):
        handoff = FIRST_HANDOFF + timedelta(weeks=week)
        primary, secondary = SEED_WEEKS[week % 3]
        before_primary, before_secondary = SEED_WEEKS[(week - 1) % 3]
        just_before = who(client, viewer, z(handoff - timedelta(seconds=1)))
        assert just_before["primary"][0] == before_primary
        assert just_before["secondary"][0] == before_secondary
        assert just_before["primary"][2] == z(handoff)
        for moment in (handoff, handoff + timedelta(days=3, hours=12)):
            found = who(client, viewer, z(moment))
            assert found == {
                "primary": (primary, z(handoff), z(handoff + timedelta(7))),
                "secondary": (
                    secondary,
                    z(handoff),
                    z(handoff + timedelta(7)),
                ),
            }


def test_now_is_the_default_and_every_schedule_without_a_name(
    client: TestClient, tocsin: Tocsin, viewer: Caller
) -> None:
    put_schedule(
        tocsin,
        "solo",
        {"layers": [{"name": "only", "rotation": "daily", "participants": ["ada"]}]},
    )
    answer = client.get("/api/v1/oncall", headers=viewer.headers)
    assert answer.status_code == 200
    by_name = {each["schedule"]: each for each in answer.json()}
    assert set(by_name) == {SEED_SCHEDULE, "solo"}
    assert by_name[SEED_SCHEDULE]["at"] == z(tocsin.clock.now())
    # The clock starts Monday 2026-01-05 09:00, an hour before week_1 begins.
    assert [layer["person"] for layer in by_name[SEED_SCHEDULE]["layers"]] == [
        "engineer-c",
        "engineer-a",
    ]
    assert by_name["solo"]["layers"][0]["person"] == "ada"


def test_shifts_over_a_range(client: TestClient, viewer: Caller) -> None:
    answer = client.get(
        f"/api/v1/schedules/{SEED_SCHEDULE}/shifts",
        params={"from": iso("2026-01-08T00:00Z"), "to": iso("2026-01-20T00:00Z")},
        headers=viewer.headers,
    )
    assert answer.status_code == 200, answer.text
    assert [(s["layer"], s["person"], s["start"], s["end"]) for s in answer.json()] == [
        ("primary", "engineer-a", iso("2026-01-08T00:00Z"), iso("2026-01-12T10:00Z")),
        ("primary", "engineer-b", iso("2026-01-12T10:00Z"), iso("2026-01-19T10:00Z")),
        ("primary", "engineer-c", iso("2026-01-19T10:00Z"), iso("2026-01-20T00:00Z")),
        ("secondary", "engineer-b", iso("2026-01-08T00:00Z"), iso("2026-01-12T10:00Z")),
        ("secondary", "engineer-c", iso("2026-01-12T10:00Z"), iso("2026-01-19T10:00Z")),
        ("secondary", "engineer-a", iso("2026-01-19T10:00Z"), iso("2026-01-20T00:00Z")),
    ]
    default = client.get(f"/api/v1/schedules/{SEED_SCHEDULE}/shifts", headers=viewer.headers)
    assert default.status_code == 200
    assert default.json()[0]["start"] == iso("2026-01-05T09:00Z")
    assert default.json()[-1]["end"] == iso("2026-01-12T09:00Z")


def test_the_seed_schedule_is_fair(client: TestClient, viewer: Caller) -> None:
    answer = client.get(f"/api/v1/schedules/{SEED_SCHEDULE}/fairness", headers=viewer.headers)
    assert answer.status_code == 200
    assert answer.json() == {
        "schedule": SEED_SCHEDULE,
        "from": iso("2026-01-05T09:00Z"),
        "to": iso("2026-07-06T09:00Z"),
        "violations": [],
    }


def test_fairness_reports_a_schedule_breaking_its_policies(
    client: TestClient, tocsin: Tocsin, viewer: Caller
) -> None:
    put_schedule(
        tocsin,
        "tiring",
        {
            "layers": [
                {
                    "name": "primary",
                    "rotation": "custom",
                    "shift_length": "2w",
                    "start": "2026-01-05T10:00:00Z",
                    "participants": ["ada", "vic"],
                }
            ],
            "policies": {"max_consecutive_days": 7},
        },
    )
    answer = client.get(
        "/api/v1/schedules/tiring/fairness", params={"weeks": 4}, headers=viewer.headers
    )
    assert answer.status_code == 200
    violations = answer.json()["violations"]
    assert [(v["policy"], v["person"]) for v in violations] == [
        ("max_consecutive_days", "vic"),
        ("max_consecutive_days", "ada"),
        ("max_consecutive_days", "vic"),
    ]
    assert violations[1]["message"] == (
        "ada would be on call 14 days in a row on primary (max_consecutive_days: 7) "
        "from 2026-01-05 10:00 to 2026-01-19 10:00 UTC"
    )


BAD_QUERIES: list[tuple[str, dict[str, Any], str]] = [
    ("/api/v1/oncall", {"at": "2026-01-12T10:00:00"}, "at"),
    ("/api/v1/oncall", {"at": "tomorrow"}, "at"),
    ("/api/v1/oncall", {"at": "9999-01-01T00:00:00Z"}, "at"),
    (
        f"/api/v1/schedules/{SEED_SCHEDULE}/shifts",
        {"from": "2026-01-12T00:00:00Z", "to": "2026-01-11T00:00:00Z"},
        "to",
    ),
    (
        f"/api/v1/schedules/{SEED_SCHEDULE}/shifts",
        {"from": "2026-01-12T00:00:00Z", "to": "2027-02-12T00:00:00Z"},
        "to",
    ),
    (f"/api/v1/schedules/{SEED_SCHEDULE}/shifts", {"from": "2026-01-12"}, "from"),
    (f"/api/v1/schedules/{SEED_SCHEDULE}/fairness", {"weeks": 0}, "weeks"),
]


def test_bad_times_and_ranges_name_the_field(client: TestClient, viewer: Caller) -> None:
    for path, params, field in BAD_QUERIES:
        answer = client.get(path, params=params, headers=viewer.headers)
        assert answer.status_code == 422, (path, params, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["query", field], (path, params)


def test_unknown_schedules_and_missing_credentials(client: TestClient, viewer: Caller) -> None:
    for path in (
        "/api/v1/schedules/nope/shifts",
        "/api/v1/schedules/nope/fairness",
        "/api/v1/schedules/nope/overrides",
        "/api/v1/schedules/nope/handoffs",
    ):
        missing = client.get(path, headers=viewer.headers)
        assert missing.status_code == 404, path
        assert missing.json()["detail"] == "no schedule named 'nope'; schedules: on-call-schedule"
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/oncall", params={"schedule": "nope"}, headers=viewer.headers).json()[
        "detail"
    ] == ("no schedule named 'nope'; schedules: on-call-schedule")
    assert client.get("/api/v1/oncall").status_code == 401


def test_a_user_token_is_enough_to_read(client: TestClient, tocsin: Tocsin) -> None:
    engineer = user(tocsin, "engineer-a", "viewer")
    assert who(client, engineer, iso("2026-01-06T00:00Z"))["primary"][0] == "engineer-a"
