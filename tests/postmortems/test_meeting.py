"""The review meeting: attendees proposed with why, and an iCalendar invitation by email.

Mail goes to a real SMTP server (aiosmtpd) on 127.0.0.1; each invitation's
``text/calendar`` part is parsed with the icalendar package.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from tests.alerts.support import configure
from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    PEOPLE,
    assign,
    declare,
    move,
    ok,
    postmortem_of,
    serving,
    timeline_texts,
)
from tests.support.sinks import Email, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: The payments team gets an engineering manager with no email address.
ORG = PEOPLE.replace(
    "    roles: {team_lead: dan}\n", "    roles: {team_lead: dan, engineering_manager: erin}\n"
)


@pytest.fixture
def api(tocsin: Tocsin, clock: FakeClock, smtp: SmtpSink, tmp_path: Path) -> Iterator[TestClient]:
    clock.set(MONDAY)
    configure(tocsin, tmp_path / "config", {"org.yaml": ORG})
    with serving(tocsin) as c:
        yield c


def calendar_of(email: Email) -> Calendar:
    (part,) = [p for p in email.message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def test_attendees_are_proposed_with_why_and_invited_with_a_calendar_request(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    responder: Caller,
    smtp: SmtpSink,
) -> None:
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", responder.name)
    move(api, responder, reference, "responding")
    move(api, responder, reference, "resolved")
    tocsin.engine.run_until_idle()
    pm: dict[str, Any] = postmortem_of(api, admin, reference)
    ref = pm["reference"]
    ok(api.post(f"{API}/{ref}/submit", json={"reviewers": ["carol"]}, headers=responder.headers))

    proposed = ok(api.get(f"{API}/{ref}/meeting/attendees", headers=admin.headers))
    why = {person["name"]: person["why"] for person in proposed}
    assert why == {
        responder.name: ["incident commander", "owner of the postmortem"],
        "dan": ["team lead of payments"],
        "erin": ["engineering manager of payments", "stakeholder (engineering manager)"],
        "carol": ["reviewer"],
    }
    assert {p["name"]: p["email"] for p in proposed}["erin"] is None

    past = api.post(
        f"{API}/{ref}/meeting",
        json={"starts_at": (MONDAY - timedelta(hours=1)).isoformat()},
        headers=responder.headers,
    )
    assert past.status_code == 422 and past.json()["detail"][0]["loc"] == ["body", "starts_at"]
    starts = MONDAY + timedelta(days=1, hours=6)
    meeting = ok(
        api.post(
            f"{API}/{ref}/meeting",
            json={"starts_at": starts.isoformat(), "location": "https://meet.example.com/pm"},
            headers=responder.headers,
        )
    )
    assert meeting["sequence"] == 0
    tocsin.engine.run_until_idle()
    invited = sorted(address for email in smtp.emails for address in email.to)
    assert invited == ["carol@example.com", "dan@example.com", f"{responder.name}@example.com"]
    first = calendar_of(smtp.to("dan@example.com")[0])
    (event,) = first.walk("VEVENT")
    assert str(first["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTEND") == starts + timedelta(hours=1)
    assert str(event["UID"]) == meeting["uid"] and event.decoded("SEQUENCE") == 0
    assert str(event["LOCATION"]) == "https://meet.example.com/pm"
    assert ref in str(event["SUMMARY"])
    attendees = sorted(str(a) for a in cast(list[Any], event["ATTENDEE"]))
    assert attendees == [
        "mailto:carol@example.com",
        "mailto:dan@example.com",
        f"mailto:{responder.name}@example.com",
    ]
    assert (
        f"Postmortem {ref} review meeting scheduled for {starts:%Y-%m-%d %H:%M} UTC, 60 min; "
        "invited 3 (no email address: erin)" in " ".join(timeline_texts(api, admin, reference))
    )

    later = starts + timedelta(hours=2)
    moved = ok(
        api.post(
            f"{API}/{ref}/meeting",
            json={"starts_at": later.isoformat(), "duration_minutes": 30, "attendees": ["dan"]},
            headers=responder.headers,
        )
    )
    assert (moved["uid"], moved["sequence"]) == (meeting["uid"], 1)
    last = ok(api.get(f"{API}/{ref}/versions", headers=admin.headers))[-1]
    assert last["action"] == "meeting_scheduled"
    assert {c["field"]: c["after"] for c in last["changes"]} == {
        "meeting.starts_at": later.isoformat(),
        "meeting.ends_at": (later + timedelta(minutes=30)).isoformat(),
        "meeting.location": "",
        "meeting.attendees": ["dan"],
    }
    tocsin.engine.run_until_idle()
    (update,) = smtp.to("dan@example.com")[1:]
    (event,) = calendar_of(update).walk("VEVENT")
    assert event.decoded("SEQUENCE") == 1 and event.decoded("DTSTART") == later
    assert "moved" in update.subject
    assert len(smtp.emails) == 4
    served = api.get(f"{API}/{ref}/meeting.ics", headers=admin.headers)
    assert served.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(served.content).walk("VEVENT")[0]["UID"] == meeting["uid"]
    unknown = api.post(
        f"{API}/{ref}/meeting",
        json={"starts_at": later.isoformat(), "attendees": ["dan", "ghost"]},
        headers=responder.headers,
    )
    assert unknown.json()["detail"][0]["loc"] == ["body", "attendees", "1"]
