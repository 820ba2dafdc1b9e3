"""Calendar feeds: RFC 5545 round trip against the shifts API, tokens hashed and revocable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from tests.conftest import Caller
from tests.oncall.support import SEED_SCHEDULE, apply_seed, client_without_engine, iso, user, z
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock
from tocsin.oncall.ical import FEED_AHEAD, FEED_PAST
from tocsin.oncall.tables import CalendarFeed

FEEDS = "/api/v1/calendar-feeds"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    apply_seed(tocsin)
    with client_without_engine(tocsin) as test_client:
        yield test_client


def events(client: TestClient, url: str) -> list[tuple[str, str, datetime, datetime, str]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(answer.content)
    assert str(calendar["version"]) == "2.0"
    # Clients refetch hourly: both properties are RFC 5545 durations (PT1H).
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in answer.content
    found = []
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
        assert end.tzinfo is not None and end.utcoffset().total_seconds() == 0
        found.append(
            (
                str(event["uid"]),
                str(event["summary"]),
                start,
                end,
                z(event.decoded("dtstamp")),
            )
        )
    return found


def shifts_api(
    client: TestClient, caller: Caller, start: datetime, end: datetime
) -> list[tuple[str, str, str, str]]:
    answer = client.get(
        f"/api/v1/schedules/{SEED_SCHEDULE}/shifts",
        params={"from": z(start), "to": z(end)},
        headers=caller.headers,
    )
    assert answer.status_code == 200
    return [(s["layer"], s["person"], s["start"], s["end"]) for s in answer.json()]


def clipped(
    found: list[tuple[str, str, datetime, datetime, str]], start: datetime, end: datetime
) -> list[tuple[str, str, str, str]]:
    """Events as (layer, person, start, end) cut to [start, end), like the shifts API."""
    rows = []
    for _, summary, first, last, _ in found:
        layer, rest = summary.split(" on call: ")
        person = rest.split(" (")[0]
        rows.append((layer, person, z(max(first, start)), z(min(last, end))))
    return sorted(rows)


def test_schedule_feed_round_trips_against_the_shifts_api(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    created = client.post(FEEDS, json={"schedule": SEED_SCHEDULE}, headers=viewer.headers)
    assert created.status_code == 201, created.text
    feed = created.json()
    assert feed["url"] == f"https://testserver/ical/{feed['token']}.ics"
    assert (feed["schedule"], feed["user"], feed["prefix"]) == (
        SEED_SCHEDULE,
        None,
        feed["token"][:10],
    )
    now = tocsin.clock.now()
    start, end = now - FEED_PAST, now + FEED_AHEAD
    found = events(client, feed["url"])
    # Weekly shifts starting from 2025-12-01 to 2026-06-29: 31 per layer.
    assert len(found) == 2 * 31
    assert clipped(found, start, end) == sorted(shifts_api(client, viewer, start, end))
    assert found[0][1] == f"primary on call: engineer-b ({SEED_SCHEDULE})"
    # Shifts crossing the window's edges are whole: the first began before it.
    assert found[0][2] == datetime(2025, 12, 1, 10, tzinfo=UTC) < start
    assert len({uid for uid, *_ in found}) == len(found)

    # A week later the window has moved on by one shift per layer; the events
    # both fetches show are the same, UIDs included.
    clock.advance(weeks=1)
    before = {event[0]: event[:4] for event in found}
    after = {event[0]: event[:4] for event in events(client, feed["url"])}
    assert len(before.keys() & after.keys()) == 2 * 30
    assert all(before[uid] == after[uid] for uid in before.keys() & after.keys())


def test_user_feed_holds_only_their_shifts_across_schedules(
    client: TestClient, tocsin: Tocsin, admin: Caller
) -> None:
    engineer = user(tocsin, "engineer-c")
    mine = client.post(FEEDS, json={"user": "engineer-c"}, headers=engineer.headers).json()
    found = events(client, mine["url"])
    assert found
    assert {summary.split(": ")[1].split(" (")[0] for _, summary, *_ in found} == {"engineer-c"}
    assert {summary.split(" on call")[0] for _, summary, *_ in found} == {"primary", "secondary"}
    first_primary = next(event for event in found if event[1].startswith("primary"))
    assert (z(first_primary[2]), z(first_primary[3])) == (
        iso("2025-12-08T10:00Z"),
        iso("2025-12-15T10:00Z"),
    )

    someone_else = client.post(FEEDS, json={"user": "engineer-a"}, headers=engineer.headers)
    assert someone_else.status_code == 403
    assert client.post(FEEDS, json={"user": "engineer-a"}, headers=admin.headers).status_code == 201


def test_tokens_are_stored_hashed_and_revocable(
    client: TestClient, tocsin: Tocsin, viewer: Caller, admin: Caller, responder: Caller
) -> None:
    feed = client.post(FEEDS, json={"schedule": SEED_SCHEDULE}, headers=viewer.headers).json()
    with tocsin.database.sessions() as session:
        stored = session.scalars(select(CalendarFeed)).one()
        assert feed["token"] not in (stored.token_hash, stored.prefix)
        assert len(stored.token_hash) == 64
    assert [each["id"] for each in client.get(FEEDS, headers=viewer.headers).json()] == [feed["id"]]
    assert client.get(FEEDS, headers=responder.headers).json() == []
    assert "token" not in client.get(FEEDS, headers=admin.headers).json()[0]

    assert client.delete(f"{FEEDS}/{feed['id']}", headers=responder.headers).status_code == 403
    assert client.delete(f"{FEEDS}/{feed['id']}", headers=viewer.headers).status_code == 204
    assert client.get(feed["url"]).status_code == 404
    assert client.delete(f"{FEEDS}/{feed['id']}", headers=viewer.headers).status_code == 409
    assert client.get(FEEDS, headers=viewer.headers).json() == []
    assert client.get("/ical/tcf_unknown.ics").status_code == 404


BAD_FEEDS: list[tuple[dict[str, str], int, str | None]] = [
    ({}, 422, "schedule"),
    ({"schedule": SEED_SCHEDULE, "user": "vic"}, 422, "schedule"),
    ({"user": "nobody"}, 422, "user"),
    ({"schedule": "nope"}, 404, None),
]


def test_bad_feed_requests(client: TestClient, viewer: Caller) -> None:
    for body, status, field in BAD_FEEDS:
        answer = client.post(FEEDS, json=body, headers=viewer.headers)
        assert answer.status_code == status, (body, answer.text)
        if field is not None:
            assert answer.json()["detail"][0]["loc"] == ["body", field], body
        assert client.post(FEEDS, json=body).status_code == 401
