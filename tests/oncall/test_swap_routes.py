"""Swap requests through the API: accepted as fairness-checked overrides, permissioned, audited."""

from __future__ import annotations

from collections.abc import Iterator

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
    user,
)
from tocsin.app.service import Tocsin

SWAPS = f"/api/v1/schedules/{SEED_SCHEDULE}/swaps"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    apply_seed(tocsin)
    with client_without_engine(tocsin) as test_client:
        yield test_client


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
