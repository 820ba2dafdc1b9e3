"""Configuration shapes incidents; the seeds' process is what you get without any."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import API, client_without_engine, declare, get
from tocsin.app.service import Tocsin
from tocsin.config.tables import Definition
from tocsin.domain.roles import Role
from tocsin.incidents import configured as definitions
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def configure(tocsin: Tocsin, clock: FakeClock, kind: str, name: str, spec: dict[str, Any]) -> None:
    with tocsin.database.transaction() as session:
        session.add(
            Definition(
                kind=kind, name=name, spec=spec, created_at=clock.now(), updated_at=clock.now()
            )
        )


def test_defaults_are_the_seeds(tocsin: Tocsin) -> None:
    with tocsin.database.sessions() as session:
        scale = definitions.scale(session)
        roles = definitions.role_definitions(session)
        policy = definitions.resolve_policy(session)
        assert definitions.custom_fields(session) == {}
    assert [level.level for level in scale] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert list(roles) == [
        Role.INCIDENT_COMMANDER,
        Role.COMMUNICATIONS_LEAD,
        Role.OPERATIONS_LEAD,
        Role.SCRIBE,
    ]
    assert roles[Role.SCRIBE].who == "Any available team member"
    assert policy.roles == {Role.INCIDENT_COMMANDER} and policy.admins


def test_configured_checklist_and_roles_are_copied_into_new_incidents(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, responder: Caller
) -> None:
    before = declare(client, responder)["reference"]
    configure(
        tocsin,
        clock,
        "incident_checklist",
        "incident-response",
        {"sections": {"Detect": ["What fired?"], "Fix": ["Roll back"]}},
    )
    configure(
        tocsin,
        clock,
        "incident_role",
        "scribe",
        {"responsibilities": ["Write everything down"], "who": "anyone"},
    )
    after = declare(client, responder)["reference"]
    for reference in (before, after):
        client.post(
            f"{API}/{reference}/roles",
            json={"role": "scribe", "user": responder.name},
            headers=responder.headers,
        )
    old = get(client, responder, f"{API}/{before}/checklist")
    new = get(client, responder, f"{API}/{after}/checklist")
    assert len(old["items"]) == 24  # running incidents keep their copy
    assert [(i["key"], i["text"]) for i in new["items"]] == [
        ("detect.what-fired", "What fired?"),
        ("fix.roll-back", "Roll back"),
    ]
    assert [i["text"] for i in new["duties"][0]["items"]] == ["Write everything down"]
    assert len(old["duties"][0]["items"]) == 4


def test_who_may_resolve_is_configurable(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, responder: Caller, admin: Caller
) -> None:
    configure(
        tocsin,
        clock,
        "resolve_policy",
        "default",
        {"roles": ["incident_commander", "technical_lead"], "admins": False},
    )
    reference = declare(client, responder)["reference"]
    path = f"{API}/{reference}/status"
    client.post(path, json={"status": "responding"}, headers=responder.headers)
    response = client.post(path, json={"status": "resolved"}, headers=admin.headers)
    assert response.status_code == 403
    assert response.json()["detail"].startswith(
        f"only the Incident Commander or Operations Lead may resolve {reference}"
    )
    client.post(
        f"{API}/{reference}/roles",
        json={"role": "operations_lead", "user": responder.name},
        headers=responder.headers,
    )
    response = client.post(path, json={"status": "resolved"}, headers=responder.headers)
    assert response.status_code == 200
