"""Overrides through the API: fairness-checked, permissioned, audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.oncall.support import (
    SEED_SCHEDULE,
    apply_seed,
    audit,
    client_without_engine,
    iso,
    override,
    primary,
)
from tocsin.app.service import Tocsin

OVERRIDES = f"/api/v1/schedules/{SEED_SCHEDULE}/overrides"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    apply_seed(tocsin)
    with client_without_engine(tocsin) as test_client:
        yield test_client


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
