"""Notes on the timeline: back-dated ones and corrections."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    get,
    iso,
    timeline,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_notes_back_dating_and_corrections(
    client: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(client, responder)["reference"]
    path = f"{API}/{reference}/notes"
    clock.advance(minutes=30)
    earlier = clock.now() - timedelta(minutes=10)
    response = client.post(
        path,
        json={"text": "Rolled back to v3.4.1", "kind": "action", "occurred_at": iso(earlier)},
        headers=responder.headers,
    )
    assert response.status_code == 201
    note = response.json()
    assert (note["sequence"], note["note_kind"]) == (2, "action")
    assert (note["occurred_at"], note["recorded_at"]) == (iso(earlier), iso(clock.now()))

    correction = client.post(
        path, json={"text": "It was v3.4.0", "corrects": 2}, headers=responder.headers
    ).json()
    assert (correction["kind"], correction["corrects"]) == ("correction", 2)
    entries = timeline(client, responder, reference)
    assert entries[1] == note  # the corrected entry is never changed

    future = iso(clock.now() + timedelta(minutes=1))
    for body, field in [
        ({"text": "x", "occurred_at": future}, ("occurred_at",)),
        ({"text": "x", "corrects": 99}, ("corrects",)),
        ({"text": "x", "kind": "rumour"}, ("kind",)),
        ({"text": "  "}, ("text",)),
    ]:
        assert field_error(client.post(path, json=body, headers=responder.headers)) == field
    assert timeline(client, responder, reference) == entries

    by_occurrence = get(client, responder, f"{API}/{reference}/timeline", order="occurred")
    assert [e["sequence"] for e in by_occurrence] == [1, 2, 3]
