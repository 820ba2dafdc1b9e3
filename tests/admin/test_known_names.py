"""A name that matches nothing is refused with the names that would have worked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Caller
from tocsin.app.cli import app
from tocsin.app.demo import load_demo
from tocsin.app.service import Tocsin

SERVICES = "no service named 'payments'; services: checkout"


def problem(answer: dict[str, Any]) -> tuple[list[object], str]:
    detail = answer["detail"][0]
    return detail["loc"], detail["msg"]


def test_unknown_services_are_refused_once_services_are_defined(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    load_demo(tocsin)
    incident = {"title": "Cards declined", "severity": "SEV-2"}
    declared = client.post(
        "/api/v1/incidents", json={**incident, "services": ["checkout", "payments"]},
        headers=admin.headers,
    )  # fmt: skip
    assert declared.status_code == 422
    assert problem(declared.json()) == (["body", "services", 1], SERVICES)
    made = client.post(
        "/api/v1/incidents", json={**incident, "services": ["checkout"]}, headers=admin.headers
    )
    assert made.status_code == 201
    changed = client.patch(
        f"/api/v1/incidents/{made.json()['reference']}",
        json={"services": ["payments"]},
        headers=admin.headers,
    )
    assert changed.status_code == 422
    assert problem(changed.json()) == (["body", "services", 0], SERVICES)
    for path in ("/api/v1/incidents", "/api/v1/alerts", "/api/v1/alert-groups"):
        listed = client.get(path, params={"service": "payments"}, headers=admin.headers)
        assert listed.status_code == 422, path
        assert problem(listed.json()) == (["query", "service"], SERVICES)
        assert client.get(path, params={"service": "checkout"}, headers=admin.headers).is_success
    reported = client.post(
        "/api/v1/reports", json={"text": "it fails", "service": "payments"}, headers=admin.headers
    )
    assert problem(reported.json()) == (["body", "service"], SERVICES)
    integration = {"name": "pd", "service": "payments", "type": "pagerduty"}
    created = client.post("/api/v1/integrations", json=integration, headers=admin.headers)
    assert problem(created.json()) == (["body", "service"], SERVICES)


def test_unknown_schedules_policies_and_users_list_the_known_ones(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    load_demo(tocsin)
    schedule = client.get(
        "/api/v1/oncall", params={"schedule": "on-call-schedule"}, headers=admin.headers
    )
    assert schedule.status_code == 404
    assert schedule.json()["detail"] == (
        "no schedule named 'on-call-schedule'; schedules: payments-oncall"
    )
    policy = client.post(
        "/api/v1/escalation-policies/on-call-schedule/simulate", json={}, headers=admin.headers
    )
    assert policy.status_code == 404
    assert policy.json()["detail"] == (
        "no escalation policy named 'on-call-schedule'; escalation policies: payments-default"
    )
    user = client.get("/api/v1/users/bob", headers=admin.headers)
    assert user.status_code == 404
    users = ", ".join(sorted(["alice", "bruno", "chen", "dana", "erin", admin.name]))
    assert user.json()["detail"] == f"no user named 'bob'; users: {users}"


def test_before_any_service_is_defined_any_name_goes(client: TestClient, admin: Caller) -> None:
    declared = client.post(
        "/api/v1/incidents",
        json={"title": "Cards declined", "severity": "SEV-2", "services": ["payments"]},
        headers=admin.headers,
    )
    assert declared.status_code == 201, declared.text
    listed = client.get("/api/v1/incidents", params={"service": "payments"}, headers=admin.headers)
    assert [item["reference"] for item in listed.json()["items"]] == [declared.json()["reference"]]


def test_local_commands_list_the_known_names(tocsin: Tocsin, tmp_path: Path) -> None:
    load_demo(tocsin)
    database = ["--data-dir", str(tmp_path), "--database-url", tocsin.settings.database_url]
    runner = CliRunner()
    simulated = runner.invoke(app, ["escalation", "simulate", "on-call-schedule", *database])
    assert simulated.exit_code == 1
    assert simulated.stderr.strip() == (
        "error: no escalation policy named 'on-call-schedule'; "
        "escalation policies: payments-default"
    )
    token = runner.invoke(app, ["token", "create", "--user", "bob", *database])
    assert token.exit_code == 1
    assert token.stderr.strip() == (
        "error: --user: no user named 'bob'; users: alice, bruno, chen, dana, erin "
        "(create it with: tocsin user create bob)"
    )
