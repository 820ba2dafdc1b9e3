"""Definitions made through the API are checked like configuration files, and one that the
domain cannot load (stored before a check existed) is skipped instead of breaking incidents."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts, groups, integration, payload
from tests.conftest import Caller
from tests.incidents.support import client_without_engine, declare
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.config import validate_directory
from tocsin.config.tables import Definition
from tocsin.incidents.config_schema import (
    CHECKLIST,
    INCIDENT_FIELD,
    INCIDENT_ROLE,
    RESOLVE_POLICY,
    SEVERITY,
)

ROLES = "/api/v1/incident-roles"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def _config_error(tmp_path: Path, now: datetime, text: str) -> str:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "roles.yaml").write_text(text)
    validation = validate_directory(tmp_path / "config", CONFIG_KINDS, now=now)
    (error,) = validation.errors
    return error.message


@pytest.mark.parametrize("name", ["comms_lead", "0"])
def test_an_incident_role_the_domain_does_not_know_is_refused_as_config_refuses_it(
    client: TestClient, admin: Caller, tocsin: Tocsin, tmp_path: Path, name: str
) -> None:
    answer = client.put(f"{ROLES}/{name}", headers=admin.headers, json={"responsibilities": ["x"]})
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["path", "name"]
    from_config = _config_error(
        tmp_path, tocsin.clock.now(), f"roles:\n  '{name}': {{responsibilities: [x]}}\n"
    )
    assert (
        error["msg"] == f"invalid incident role name: {from_config.removeprefix('invalid name: ')}"
    )
    assert from_config.startswith(f"invalid name: unknown role '{name}'")
    assert client.get(ROLES, headers=admin.headers).json() == []
    declare(client, admin)


def test_role_names_are_stored_as_configuration_stores_them(
    client: TestClient, admin: Caller
) -> None:
    body = {"responsibilities": ["Lead technical investigation"]}
    created = client.put(f"{ROLES}/Technical-Lead", headers=admin.headers, json=body)
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "operations_lead"
    assert client.get(f"{ROLES}/technical lead", headers=admin.headers).json()["name"] == (
        "operations_lead"
    )
    assert client.delete(f"{ROLES}/Operations-Lead", headers=admin.headers).status_code == 204
    assert client.get(ROLES, headers=admin.headers).json() == []


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/api/v1/teams/%20payments", {}, ["path", "name"]),
        ("/api/v1/services/checkout%20", {}, ["path", "name"]),
        ("/api/v1/severities/sev%203", {**{"name": "Minor"}}, ["path", "name"]),
        ("/api/v1/status-page-components/Checkout", {"name": "Cart"}, None),
    ],
)
def test_names_configuration_refuses_are_refused(
    client: TestClient, admin: Caller, path: str, body: dict[str, Any], loc: list[str] | None
) -> None:
    level = {
        "name": "Minor",
        "response_time": "1 hour",
        "communication": "Every 2 hours",
        "escalation": "Team lead notified",
    }
    assert client.put("/api/v1/severities/SEV-3", headers=admin.headers, json=level).is_success
    if "severities" in path:
        body = level
    answer = client.put(path, headers=admin.headers, json=body)
    assert answer.status_code == 422, answer.text
    if loc is not None:
        assert answer.json()["detail"][0]["loc"] == loc
    declare(client, admin)


def _store(tocsin: Tocsin, kind: str, name: str, spec: dict[str, Any], position: int = 0) -> None:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        session.add(
            Definition(
                kind=kind,
                name=name,
                position=position,
                spec=spec,
                created_at=now,
                updated_at=now,
            )
        )


def test_definitions_the_domain_cannot_load_are_skipped_with_a_warning(
    client: TestClient,
    admin: Caller,
    tocsin: Tocsin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As stored by an API that did not check names, or edited in the database."""
    _store(tocsin, INCIDENT_ROLE, "comms_lead", {"responsibilities": ["Post updates"]})
    _store(tocsin, INCIDENT_ROLE, "scribe", {"responsibilities": ["Record the timeline"]}, 1)
    level = {
        "level": "SEV-3",
        "name": "Minor",
        "response_time": "1 hour",
        "communication": "Every 2 hours",
        "escalation": "Team lead notified",
    }
    _store(tocsin, SEVERITY, "SEV-3", level)
    _store(tocsin, SEVERITY, "sev 3", {**level, "level": "sev 3"}, 1)
    _store(tocsin, SEVERITY, "SEV-9", {"level": "SEV-9"}, 2)
    _store(tocsin, CHECKLIST, "default", {"sections": "not a checklist"})
    _store(tocsin, RESOLVE_POLICY, "default", {"roles": ["chef"]})
    _store(tocsin, INCIDENT_FIELD, "region", {"type": "colour"})

    with caplog.at_level(logging.WARNING, logger="tocsin.config"):
        created = declare(client, admin, severity="SEV-3")
        reported = declare(client, admin, severity="SEV-3", source="user_report")
        report = client.post(
            "/api/v1/reports",
            headers=admin.headers,
            json={"text": "checkout is down", "declare": "SEV-3"},
        )
        assert report.status_code == 201, report.text
        key = integration(client, admin, "prometheus", "alertmanager")
        body = payload("alertmanager_firing.json")
        body["alerts"] = body["alerts"][:1]
        body["alerts"][0]["labels"]["severity"] = "critical"
        alert = client.post(f"/api/v1/integrations/{key}/alertmanager", json=body)
        assert alert.is_success, alert.text
        for status in ("responding", "resolved"):
            moved = client.post(
                f"/api/v1/incidents/{created['id']}/status",
                headers=admin.headers,
                json={"status": status},
            )
            assert moved.status_code == 200, moved.text
    assert created["checklist"]["total"] == 24
    assert reported["source"] == "user_report"
    assert len(alerts(tocsin)) == 1
    assert [group.incident_id for group in groups(tocsin)] != [None]
    skipped = {record.getMessage().split(":")[0] for record in caplog.records}
    assert skipped == {
        "skipping stored incident_role 'comms_lead'",
        "skipping stored severity 'sev 3'",
        "skipping stored severity 'SEV-9'",
        "skipping stored incident_checklist 'default'",
        "skipping stored resolve_policy 'default'",
        "skipping stored incident_field 'region'",
    }


def test_policy_targets_name_layers_and_team_roles_that_exist_as_config_requires(
    client: TestClient, admin: Caller
) -> None:
    schedule = {
        "time_zone": "UTC",
        "layers": [
            {
                "name": "primary",
                "rotation": "weekly",
                "handoff_day": "monday",
                "handoff_time": "10:00",
                "start": "2026-01-05T10:00:00",
                "participants": [admin.name],
            }
        ],
    }
    assert client.put("/api/v1/schedules/s", headers=admin.headers, json=schedule).is_success
    team = {"members": [admin.name], "roles": {"lead": admin.name}}
    assert client.put("/api/v1/teams/t", headers=admin.headers, json=team).is_success
    for target, field, message in [
        ({"schedule": "s", "layer": "nope"}, "layer", "schedule 's' has no layer 'nope'"),
        ({"team": "t", "role": "nope"}, "role", "team 't' has no role 'nope'"),
    ]:
        policy = {"steps": [{"targets": [target], "timeout_minutes": 5}]}
        answer = client.put("/api/v1/escalation-policies/p", headers=admin.headers, json=policy)
        assert answer.status_code == 422, answer.text
        (error,) = answer.json()["detail"]
        assert error["loc"] == ["body", "steps", 0, "targets", 0, field]
        assert error["msg"].startswith(message)
    good = {"steps": [{"targets": [{"schedule": "s", "layer": "primary"}], "timeout_minutes": 5}]}
    assert client.put("/api/v1/escalation-policies/p", headers=admin.headers, json=good).is_success


def test_the_openapi_document_describes_each_definition_body(client: TestClient) -> None:
    """So API clients (and fuzzers) see the fields, not just "an object"."""
    paths = client.get("/openapi.json").json()["paths"]
    body = paths["/api/v1/escalation-policies/{name}"]["put"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["steps"]
    step = schema["properties"]["steps"]["items"]
    assert set(step["properties"]) == {"targets", "timeout_minutes"}
    assert "$defs" not in str(paths)
