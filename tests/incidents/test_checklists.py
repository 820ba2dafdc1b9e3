"""Ticking the response checklist and the duties that follow roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    get,
    timeline,
)
from tocsin.app.service import Tocsin


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_checklist_ticks_are_timeline_entries_and_duties_follow_roles(
    client: TestClient, responder: Caller
) -> None:
    reference = declare(client, responder)["reference"]
    path = f"{API}/{reference}/checklist"
    checklist = get(client, responder, path)
    sections = list(dict.fromkeys(item["section"] for item in checklist["items"]))
    assert sections == [
        "Detection",
        "Triage",
        "Assign Roles",
        "Investigate",
        "Mitigate",
        "Communicate",
        "Resolve",
    ]
    assert checklist["duties"] == []

    key = "investigate.review-recent-deployments"
    ticked = client.post(path, json={"key": key}, headers=responder.headers).json()
    item = next(i for i in ticked["items"] if i["key"] == key)
    assert (item["done"], item["done_by"]) == (True, responder.name)
    assert ticked["progress"] == {"done": 1, "total": 24}
    client.post(path, json={"key": key}, headers=responder.headers)  # a repeat changes nothing
    client.post(path, json={"key": key, "done": False}, headers=responder.headers)
    texts = [e["text"] for e in timeline(client, responder, reference) if e["kind"] == "checklist"]
    assert texts == [
        "Ticked “Review recent deployments” (Investigate)",
        "Unticked “Review recent deployments” (Investigate)",
    ]
    response = client.post(path, json={"key": "nope"}, headers=responder.headers)
    assert field_error(response) == ("key",)

    client.post(
        f"{API}/{reference}/roles",
        json={"role": "scribe", "user": "rex"},
        headers=responder.headers,
    )
    client.post(path, json={"key": "scribe.record-timeline-of-events"}, headers=responder.headers)
    (duties,) = get(client, responder, path)["duties"]
    assert duties["user"] == "rex"
    assert [(i["text"], i["done"]) for i in duties["items"]] == [
        ("Record timeline of events", True),
        ("Document actions taken and by whom", False),
        ("Capture decisions and their rationale", False),
        ("Prepare notes for the postmortem", False),
    ]
