"""Incident checklist, resolve policy and custom fields come from configuration files."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.config import apply, validate_directory

INCIDENTS_YAML = """\
incident_checklist:
  Detection: ["What alerts fired?", "When was the first signal?"]
  Resolve: ["Declare the incident resolved"]
resolve_policy:
  roles: [operations_lead]
  admins: false
incident_fields:
  customer_tier: {type: choice, choices: [free, pro, enterprise]}
"""


def configure(tocsin: Tocsin, directory: Path, text: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "incidents.yaml").write_text(text)
    validation = validate_directory(directory, CONFIG_KINDS, now=tocsin.clock.now())
    assert validation.ok, [str(issue) for issue in validation.issues]
    with tocsin.database.transaction() as session:
        apply(session, validation.configuration, now=tocsin.clock.now())


def test_configured_checklist_resolvers_and_fields_drive_incidents(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path / "config", INCIDENTS_YAML)
    created = client.post(
        "/api/v1/incidents",
        headers=admin.headers,
        json={
            "title": "Checkout down",
            "severity": "SEV-3",
            "custom_fields": {"customer_tier": "enterprise"},
        },
    )
    assert created.status_code == 201, created.text
    ref = created.json()["reference"]
    assert created.json()["custom_fields"] == {"customer_tier": "enterprise"}
    wrong = client.post(
        "/api/v1/incidents",
        headers=admin.headers,
        json={"title": "x", "severity": "SEV-3", "custom_fields": {"customer_tier": "gold"}},
    )
    assert wrong.status_code == 422

    checklist = client.get(f"/api/v1/incidents/{ref}/checklist", headers=admin.headers).json()
    assert [item["text"] for item in checklist["items"]] == [
        "What alerts fired?",
        "When was the first signal?",
        "Declare the incident resolved",
    ]

    # Admins may not resolve under this policy; the operations lead may.
    refused = client.post(
        f"/api/v1/incidents/{ref}/status",
        headers=admin.headers,
        json={"status": "resolved", "reason": "fixed"},
    )
    assert refused.status_code == 403
    client.post(
        f"/api/v1/incidents/{ref}/roles",
        headers=admin.headers,
        json={"role": "operations_lead", "user": "rex"},
    )
    resolved = client.post(
        f"/api/v1/incidents/{ref}/status",
        headers=responder.headers,
        json={"status": "resolved", "reason": "fixed"},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["incident"]["status"] == "resolved"
