"""Overrides and swap requests through the API: fairness-checked, permissioned, audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.oncall.support import SEED_SCHEDULE, apply_seed, client_without_engine, iso, user
from tocsin.app.service import Tocsin
from tocsin.db.audit import AuditEntry

OVERRIDES = f"/api/v1/schedules/{SEED_SCHEDULE}/overrides"
SHIFTS = f"/api/v1/schedules/{SEED_SCHEDULE}/shifts"
SWAPS = f"/api/v1/schedules/{SEED_SCHEDULE}/swaps"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    apply_seed(tocsin)
    with client_without_engine(tocsin) as test_client:
        yield test_client


def override(layer: str, who: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"layer": layer, "user": who, "start": iso(start), "end": iso(end), **extra}


def primary(client: TestClient, caller: Caller, start: str, end: str) -> list[tuple[Any, ...]]:
    answer = client.get(SHIFTS, params={"from": iso(start), "to": iso(end)}, headers=caller.headers)
    assert answer.status_code == 200, answer.text
    return [
        (s["person"], s["start"], s["end"], s["override"])
        for s in answer.json()
        if s["layer"] == "primary"
    ]


def audit(tocsin: Tocsin, prefix: str) -> list[AuditEntry]:
    with tocsin.database.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            )
        )


def test_an_override_wins_exactly_over_its_range_and_can_be_removed(
    client: TestClient, tocsin: Tocsin, responder: Caller, viewer: Caller
) -> None:
    made = client.post(
        OVERRIDES,
        json=override("primary", "rex", "2026-01-13T12:00Z", "2026-01-13T18:30Z", reason="cover"),
        headers=responder.headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert {k: body[k] for k in ("layer", "user", "created_by", "forced", "reason")} == {
        "layer": "primary",
        "user": "rex",
        "created_by": "rex",
        "forced": False,
        "reason": "cover",
    }
    assert primary(client, viewer, "2026-01-13T00:00Z", "2026-01-14T00:00Z") == [
        ("engineer-b", iso("2026-01-13T00:00Z"), iso("2026-01-13T12:00Z"), False),
        ("rex", iso("2026-01-13T12:00Z"), iso("2026-01-13T18:30Z"), True),
        ("engineer-b", iso("2026-01-13T18:30Z"), iso("2026-01-14T00:00Z"), False),
    ]
    on_call = client.get(
        "/api/v1/oncall",
        params={"schedule": SEED_SCHEDULE, "at": iso("2026-01-13T18:29:59Z")},
        headers=viewer.headers,
    ).json()[0]["layers"][0]
    assert (on_call["person"], on_call["end"]) == ("rex", iso("2026-01-13T18:30Z"))
    # The override ends engineer-b's shift early, however far ahead it starts.
    before = client.get(
        "/api/v1/oncall",
        params={"schedule": SEED_SCHEDULE, "at": iso("2026-01-12T10:00Z")},
        headers=viewer.headers,
    ).json()[0]["layers"][0]
    assert (before["person"], before["start"], before["end"]) == (
        "engineer-b",
        iso("2026-01-12T10:00Z"),
        iso("2026-01-13T12:00Z"),
    )

    listed = client.get(
        OVERRIDES, params={"from": iso("2026-01-13T18:00Z")}, headers=viewer.headers
    ).json()
    assert [each["id"] for each in listed] == [body["id"]]
    assert (
        client.get(
            OVERRIDES, params={"to": iso("2026-01-13T12:00Z")}, headers=viewer.headers
        ).json()
        == []
    )

    assert client.delete(f"{OVERRIDES}/{body['id']}", headers=viewer.headers).status_code == 403
    assert client.delete(f"{OVERRIDES}/{body['id']}", headers=responder.headers).status_code == 204
    assert client.delete(f"{OVERRIDES}/{body['id']}", headers=responder.headers).status_code == 404
    assert primary(client, viewer, "2026-01-13T00:00Z", "2026-01-14T00:00Z") == [
        ("engineer-b", iso("2026-01-13T00:00Z"), iso("2026-01-14T00:00Z"), False)
    ]
    entries = audit(tocsin, "oncall.override")
    assert [(e.action, e.actor, e.detail.get("forced")) for e in entries] == [
        ("oncall.override.create", "rex", False),
        ("oncall.override.delete", "rex", None),
    ]


def test_an_override_breaking_fairness_is_refused_unless_an_admin_forces_it(
    client: TestClient, tocsin: Tocsin, admin: Caller, responder: Caller
) -> None:
    # engineer-a was primary the week before: one more day makes 8 in a row.
    unfair = override("primary", "engineer-a", "2026-01-12T10:00Z", "2026-01-13T10:00Z")
    refused = client.post(OVERRIDES, json=unfair, headers=responder.headers)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "refused by the schedule's fairness policies: engineer-a would be on call 8 days in a "
        "row on primary (max_consecutive_days: 7) from 2026-01-05 10:00 to 2026-01-13 10:00 UTC; "
        "engineer-a would have only 13 days off primary between on-call stretches "
        "(min_gap_days: 14) from 2026-01-13 10:00 to 2026-01-26 10:00 UTC"
    )
    assert audit(tocsin, "oncall.override") == []

    not_admin = client.post(OVERRIDES, json={**unfair, "force": True}, headers=responder.headers)
    assert not_admin.status_code == 403
    assert "only an admin may force" in not_admin.json()["detail"]

    forced = client.post(OVERRIDES, json={**unfair, "force": True}, headers=admin.headers)
    assert forced.status_code == 201, forced.text
    assert forced.json()["forced"] is True
    (entry,) = audit(tocsin, "oncall.override")
    assert entry.actor == "ada"
    assert entry.detail["forced"] is True
    assert "; ".join(entry.detail["violations"]) == refused.json()["detail"].split(": ", 1)[1]


BAD_OVERRIDES: list[tuple[dict[str, Any], str]] = [
    (override("tertiary", "rex", "2026-01-13T12:00Z", "2026-01-13T13:00Z"), "layer"),
    (override("primary", "nobody", "2026-01-13T12:00Z", "2026-01-13T13:00Z"), "user"),
    (override("primary", "rex", "2026-01-13T12:00Z", "2026-01-13T12:00Z"), "end"),
    (override("primary", "rex", "2026-01-01T12:00Z", "2026-01-02T12:00Z"), "end"),
    (override("primary", "rex", "2026-01-13T12:00Z", "2027-01-20T12:00Z"), "end"),
    (override("primary", "rex", "0001-01-13T12:00Z", "2026-01-20T12:00Z"), "start"),
    (override("primary", "rex", "2027-02-13T12:00Z", "2027-02-14T12:00Z"), "start"),
    (
        {
            **override("primary", "rex", "2026-01-13T12:00Z", "2026-01-13T13:00Z"),
            "start": "2026-01-13T12:00:00",
        },
        "start",
    ),
    (
        {
            **override("primary", "rex", "2026-01-13T12:00Z", "2026-01-13T13:00Z"),
            "colour": "red",
        },
        "colour",
    ),
]


def test_bad_overrides_name_the_field(client: TestClient, responder: Caller) -> None:
    for body, field in BAD_OVERRIDES:
        answer = client.post(OVERRIDES, json=body, headers=responder.headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["body", field], body


def test_override_permissions(client: TestClient, viewer: Caller) -> None:
    body = override("primary", "vic", "2026-01-13T12:00Z", "2026-01-13T13:00Z")
    assert client.post(OVERRIDES, json=body).status_code == 401
    assert client.post(OVERRIDES, json=body, headers=viewer.headers).status_code == 403
    assert (
        client.post(
            "/api/v1/schedules/nope/overrides", json=body, headers=viewer.headers
        ).status_code
        == 403
    )


def test_a_swap_accepted_becomes_an_override(
    client: TestClient, tocsin: Tocsin, viewer: Caller
) -> None:
    asker = user(tocsin, "engineer-b")
    helper = user(tocsin, "rex")
    asked = client.post(
        SWAPS,
        json={
            **override("primary", "rex", "2026-01-14T08:00Z", "2026-01-14T20:00Z"),
            "message": "Dentist",
        },
        headers=asker.headers,
    )
    assert asked.status_code == 201, asked.text
    swap = asked.json()
    assert (swap["state"], swap["requester"], swap["covering"], swap["schedule"]) == (
        "requested",
        "engineer-b",
        "rex",
        SEED_SCHEDULE,
    )
    assert client.get("/api/v1/swaps", headers=helper.headers).json()[0]["id"] == swap["id"]
    assert client.get("/api/v1/swaps", headers=viewer.headers).json() == []

    for who in (asker, viewer):
        refused = client.post(f"/api/v1/swaps/{swap['id']}/accept", headers=who.headers)
        assert refused.status_code == 403
    accepted = client.post(f"/api/v1/swaps/{swap['id']}/accept", headers=helper.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["decided_by"] == "rex"
    assert primary(client, viewer, "2026-01-14T00:00Z", "2026-01-15T00:00Z") == [
        ("engineer-b", iso("2026-01-14T00:00Z"), iso("2026-01-14T08:00Z"), False),
        ("rex", iso("2026-01-14T08:00Z"), iso("2026-01-14T20:00Z"), True),
        ("engineer-b", iso("2026-01-14T20:00Z"), iso("2026-01-15T00:00Z"), False),
    ]
    again = client.post(f"/api/v1/swaps/{swap['id']}/decline", headers=helper.headers)
    assert again.status_code == 409
    assert again.json()["detail"] == f"swap request {swap['id']} is already accepted"
    actions = [(e.action, e.actor) for e in audit(tocsin, "oncall.")]
    assert actions == [
        ("oncall.swap.request", "engineer-b"),
        ("oncall.override.create", "rex"),
        ("oncall.swap.accept", "rex"),
    ]
    assert all(
        e.detail.get("requester", "engineer-b") == "engineer-b"
        for e in audit(tocsin, "oncall.swap")
    )


def test_a_swap_that_would_break_fairness_is_refused_on_accept(
    client: TestClient, tocsin: Tocsin
) -> None:
    asker = user(tocsin, "engineer-b")
    helper = user(tocsin, "rex")
    # A whole day off splits engineer-b's week into two stretches a day apart.
    asked = client.post(
        SWAPS,
        json=override("primary", "rex", "2026-01-14T10:00Z", "2026-01-15T10:00Z"),
        headers=asker.headers,
    )
    assert asked.status_code == 201
    swap_id = asked.json()["id"]
    refused = client.post(f"/api/v1/swaps/{swap_id}/accept", headers=helper.headers)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "refused by the schedule's fairness policies: engineer-b would have only 1 day off "
        "primary between on-call stretches (min_gap_days: 14)"
    )
    listed = client.get("/api/v1/swaps", params={"state": "requested"}, headers=helper.headers)
    assert [each["id"] for each in listed.json()] == [swap_id]
    declined = client.post(f"/api/v1/swaps/{swap_id}/decline", headers=helper.headers)
    assert declined.json()["state"] == "declined"
    assert [(e.action, e.actor) for e in audit(tocsin, "oncall.")] == [
        ("oncall.swap.request", "engineer-b"),
        ("oncall.swap.decline", "rex"),
    ]


def test_only_the_requester_or_an_admin_cancels(
    client: TestClient, tocsin: Tocsin, admin: Caller
) -> None:
    asker = user(tocsin, "engineer-b")
    helper = user(tocsin, "rex")
    body = override("primary", "rex", "2026-01-14T08:00Z", "2026-01-14T09:00Z")
    first = client.post(SWAPS, json=body, headers=asker.headers).json()["id"]
    second = client.post(SWAPS, json=body, headers=asker.headers).json()["id"]
    assert client.post(f"/api/v1/swaps/{first}/cancel", headers=helper.headers).status_code == 403
    assert (
        client.post(f"/api/v1/swaps/{first}/cancel", headers=asker.headers).json()["state"]
        == "cancelled"
    )
    assert (
        client.post(f"/api/v1/swaps/{second}/cancel", headers=admin.headers).json()["decided_by"]
        == "ada"
    )
    assert client.post("/api/v1/swaps/999/cancel", headers=admin.headers).status_code == 404
    assert len(client.get("/api/v1/swaps", headers=admin.headers).json()) == 2


def test_a_swap_needs_the_requester_on_call_for_the_whole_range(
    client: TestClient, tocsin: Tocsin
) -> None:
    asker = user(tocsin, "engineer-b")
    user(tocsin, "rex")
    body = override("primary", "rex", "2026-01-12T08:00Z", "2026-01-12T12:00Z")
    answer = client.post(SWAPS, json=body, headers=asker.headers)
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith(
        f"engineer-b is not on call on primary of '{SEED_SCHEDULE}' for the whole range"
    )
    yourself = {**body, "user": "engineer-b"}
    assert client.post(SWAPS, json=yourself, headers=asker.headers).json()["detail"][0]["loc"] == [
        "body",
        "user",
    ]
