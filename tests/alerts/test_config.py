"""Alerting configuration as code: integrations, policies, rules and windows, checked by line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts, configure, groups, payload
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.config import validate_directory

SERVICES = """\
services:
  checkout:
    description: The checkout API
    escalation_policy: checkout-oncall
  database:
    escalation_policy: dba-oncall
escalation_policies:
  checkout-oncall:
    steps:
      - targets: [{user: alice}]
        timeout_minutes: 10
  dba-oncall:
    steps:
      - targets: [{user: bob}]
        timeout_minutes: 5
"""

ALERTING = """\
integrations:
  prometheus:
    service: checkout
    type: alertmanager
    key_env: TOCSIN_TEST_PROMETHEUS_KEY
    rate_limit_per_minute: 600
  nightly-backup:
    service: database
    type: heartbeat
    heartbeat: {interval: 1d, grace: 30m}
alert_policies:
  checkout:
    group_by: [alertname, cluster]
    group_window: 10m
    auto_resolve_after: 4h
  "*":
    group_by: [alertname]
routing_rules:
  databases:
    matchers: ['namespace="db"', 'severity=~"critical|error"']
    service: database
    urgency: high
    incident_severity: SEV-1
  quiet-staging:
    matchers: ['cluster=~"staging-.*"']
    urgency: low
    incident_severity: none
auto_incident_rules:
  critical-pages:
    alert_severities: [critical]
    incident_severity: SEV-2
maintenance_windows:
  db-upgrade:
    services: [database]
    start: 2026-03-01T02:00:00Z
    end: 2026-03-01T04:00:00Z
    comment: PostgreSQL 17 upgrade
"""

KEY = "k" * 32


def test_the_alerting_kinds_apply_and_an_env_key_works(
    tocsin: Tocsin, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_TEST_PROMETHEUS_KEY", KEY)
    configure(tocsin, tmp_path / "config", {"services.yaml": SERVICES, "alerting.yaml": ALERTING})
    answer = client.post(
        f"/api/v1/integrations/{KEY}/alertmanager", json=payload("alertmanager_firing.json")
    )
    assert answer.status_code == 202, answer.text
    [group] = groups(tocsin)
    assert group.escalation_policy == "checkout-oncall"
    assert group.labels == {"alertname": "KubePodCrashLooping", "cluster": "prod-eu-1"}
    assert {a.service for a in alerts(tocsin)} == {"checkout"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "integrations:\n  x:\n    service: checkout\n    type: webhook\n",
            "alerting.yaml:2: integrations.x: a webhook integration needs mapping",
        ),
        (
            "integrations:\n  x:\n    service: checkout\n    type: alertmanager\n    key: s3cr3t\n",
            "alerting.yaml:5: integrations.x.key: unknown field",
        ),
        (
            "routing_rules:\n  r:\n    matchers: ['severity=~\"(\"']\n",
            "alerting.yaml:3: routing_rules.r.matchers[0]: invalid regular expression",
        ),
        (
            "alert_policies:\n  checkout:\n    group_window: soon\n",
            'alerting.yaml:3: alert_policies.checkout.group_window: must be a duration like "30s"',
        ),
        (
            "auto_incident_rules:\n  r:\n    incident_severity: SEV-9\n",
            "alerting.yaml:3: auto_incident_rules.r.incident_severity: unknown severity 'SEV-9'",
        ),
        (
            "routing_rules:\n  r:\n    escalation_policy: nobody\n",
            "alerting.yaml:3: routing_rules.r.escalation_policy: unknown escalation policy",
        ),
        (
            "integrations:\n  x:\n    service: checkout\n    type: webhook\n"
            "    mapping: {dedup_key: 'a[', summary: b}\n",
            "alerting.yaml:5: integrations.x.mapping.dedup_key: invalid JMESPath expression",
        ),
        (
            "maintenance_windows:\n  w:\n    services: [checkout]\n"
            "    start: 2026-03-01T04:00:00Z\n    end: 2026-03-01T02:00:00Z\n",
            "alerting.yaml:5: maintenance_windows.w.end: must be after start",
        ),
    ],
)
def test_mistakes_are_reported_with_file_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    (tmp_path / "alerting.yaml").write_text(text)
    validation = validate_directory(tmp_path, CONFIG_KINDS, now=tocsin_now())
    messages = [str(issue) for issue in validation.errors]
    assert any(message.startswith(expected) for message in messages), messages


def test_unknown_services_are_warnings_and_rules_live_in_one_file(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    (tmp_path / "a.yaml").write_text(
        "integrations:\n  x:\n    service: chekout\n    type: alertmanager\n"
        "routing_rules:\n  r: {service: checkout}\n"
    )
    (tmp_path / "b.yaml").write_text("routing_rules:\n  s: {service: checkout}\n")
    validation = validate_directory(tmp_path, CONFIG_KINDS, now=tocsin_now())
    assert [str(issue) for issue in validation.warnings if issue.file == "a.yaml"] == [
        "a.yaml:3: warning: integrations.x.service: service 'chekout' is not defined in this "
        "configuration; its alerts are recorded under that name, but nothing pages until the "
        "service is defined"
    ]
    [error] = validation.errors
    assert str(error).startswith(
        "b.yaml:1: routing_rules: the routing rules must be defined in one"
    )


def tocsin_now() -> datetime:
    return datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
