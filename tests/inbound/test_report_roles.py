"""Who may report and who may declare: a viewer's report never declares an incident."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, configure, count, groups
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.incidents.tables import Incident

REPORTS = "/api/v1/reports"


def test_a_viewers_critical_report_is_refused_before_anything_is_written(
    tocsin: Tocsin, client: TestClient, viewer: Caller, responder: Caller
) -> None:
    jobs_before = count(tocsin, Job)
    refused = client.post(
        REPORTS,
        json={"text": "everything is down", "severity": "critical", "service": "shop"},
        headers=viewer.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "declaring an incident needs the responder role: a report with severity critical "
        "declares SEV-2 under the routing and auto-incident rules; report it at a lower "
        "severity, or ask a responder"
    )
    assert (alerts(tocsin), count(tocsin, Incident), count(tocsin, Job)) == ([], 0, jobs_before)
    # The same report from a viewer at a severity that declares nothing is an alert.
    reported = client.post(
        REPORTS, json={"text": "checkout is slow", "service": "shop"}, headers=viewer.headers
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["incident_id"] is None
    # A responder's critical report declares, as a monitoring alert would.
    declared = client.post(
        REPORTS,
        json={"text": "everything is down", "severity": "critical", "service": "payments"},
        headers=responder.headers,
    )
    assert declared.status_code == 201, declared.text
    [_, group] = groups(tocsin)
    assert group.incident_id is not None
    incident = client.get(f"/api/v1/incidents/{group.incident_id}", headers=responder.headers)
    assert incident.json()["severity"] == "SEV-2"


def test_the_rule_follows_routing_whatever_the_severity(
    tocsin: Tocsin, client: TestClient, viewer: Caller, tmp_path: Path
) -> None:
    rules = (
        "routing_rules:\n"
        "  reported-checkout:\n"
        "    matchers: ['__source__=\"user_report\"', '__service__=\"checkout\"']\n"
        "    incident_severity: SEV-3\n"
        "  reported-elsewhere:\n"
        "    matchers: ['__source__=\"user_report\"']\n"
        "    incident_severity: none\n"
    )
    configure(tocsin, tmp_path, {"alerting.yaml": rules})
    refused = client.post(
        REPORTS, json={"text": "checkout is slow", "service": "checkout"}, headers=viewer.headers
    )
    assert refused.status_code == 403
    assert "severity error declares SEV-3" in refused.json()["detail"]
    allowed = client.post(
        REPORTS,
        json={"text": "search is down", "severity": "critical", "service": "search"},
        headers=viewer.headers,
    )
    assert allowed.status_code == 201, allowed.text
    assert count(tocsin, Incident) == 0
