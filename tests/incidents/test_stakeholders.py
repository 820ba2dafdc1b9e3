"""Declaring at, or raising to, a level queues telling its audience: once per incident and level."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.incidents.support import API, client_without_engine, declare
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.incidents import stakeholders


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def queued(tocsin: Tocsin) -> list[tuple[str, str]]:
    """(level, how) of every queued stakeholder job, oldest first."""
    with tocsin.database.sessions() as session:
        rows = session.scalars(
            select(Job).where(Job.kind == stakeholders.INCIDENT_STAKEHOLDERS.name).order_by(Job.id)
        ).all()
    return [(str(job.payload["level"]), str(job.payload["how"])) for job in rows]


def change(client: TestClient, caller: Caller, reference: str, level: str) -> None:
    response = client.post(
        f"{API}/{reference}/severity",
        json={"severity": level, "reason": "reassessed"},
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("SEV-1", [("SEV-1", "declared")]),
        ("SEV-2", [("SEV-2", "declared")]),
        ("SEV-3", [("SEV-3", "declared")]),
        ("SEV-4", []),  # the seed's SEV-4 escalation is "None"
    ],
)
def test_declaring_queues_the_levels_audience_in_the_same_transaction(
    client: TestClient,
    tocsin: Tocsin,
    responder: Caller,
    level: str,
    expected: list[tuple[str, str]],
) -> None:
    declare(client, responder, severity=level)
    assert queued(tocsin) == expected


def test_raising_queues_each_level_once_and_lowering_queues_nothing(
    client: TestClient, tocsin: Tocsin, responder: Caller
) -> None:
    reference = declare(client, responder, severity="SEV-3")["reference"]
    for level in ("SEV-4", "SEV-3", "SEV-2", "SEV-3", "SEV-2", "SEV-1", "SEV-2"):
        change(client, responder, reference, level)
    assert queued(tocsin) == [("SEV-3", "declared"), ("SEV-2", "raised"), ("SEV-1", "raised")]


def test_a_refused_declaration_queues_nothing(
    client: TestClient, tocsin: Tocsin, responder: Caller
) -> None:
    response = client.post(API, json={"title": " ", "severity": "SEV-1"}, headers=responder.headers)
    assert response.status_code == 422
    assert queued(tocsin) == []
