"""Raising and lowering an incident's severity: a reason each time, on the timeline."""

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
    timeline,
)
from tocsin.app.service import Tocsin


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_severity_changes_need_a_reason_and_are_on_the_timeline(
    client: TestClient, responder: Caller
) -> None:
    reference = declare(client, responder, severity="SEV-3")["reference"]
    path = f"{API}/{reference}/severity"
    response = client.post(
        path, json={"severity": "SEV-2", "reason": " "}, headers=responder.headers
    )
    assert field_error(response) == ("reason",)
    response = client.post(
        path, json={"severity": "SEV-3", "reason": "same"}, headers=responder.headers
    )
    assert response.status_code == 409
    assert response.json()["detail"] == f"{reference} is already SEV-3"

    raised = client.post(
        path,
        json={"severity": "SEV-2", "reason": "no workaround after all"},
        headers=responder.headers,
    )
    lowered = client.post(
        path, json={"severity": "SEV-4", "reason": "only one tenant"}, headers=responder.headers
    )
    assert raised.status_code == lowered.status_code == 200
    assert lowered.json()["incident"]["severity"] == "SEV-4"
    entries = [e for e in timeline(client, responder, reference) if e["kind"] == "severity_change"]
    assert [e["text"] for e in entries] == [
        "Severity SEV-3 → SEV-2 (raised): no workaround after all",
        "Severity SEV-2 → SEV-4 (lowered): only one tenant",
    ]
