"""``tocsin report``, ``integration``, ``alert`` and ``silence`` against a served Tocsin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import alerts, payload, served
from tests.conftest import Caller
from tocsin.app.cli import app
from tocsin.app.service import Tocsin

runner = CliRunner()


@pytest.fixture
def url(tocsin: Tocsin) -> Iterator[str]:
    with served(tocsin) as address:
        yield address


def run(url: str, caller: Caller, *args: str) -> str:
    result = runner.invoke(
        app, [*args, "--url", url, "--token", caller.token], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_integrations_alerts_and_silences_from_the_command_line(
    tocsin: Tocsin, client: TestClient, url: str, admin: Caller, responder: Caller
) -> None:
    created = run(
        url,
        admin,
        "integration",
        "create",
        "prom",
        "--service",
        "checkout",
        "--type",
        "alertmanager",
    )
    key = created.split("Key (shown once): ")[1].split()[0]
    assert f"Send to: {url}/api/v1/integrations/{key}/alertmanager" in created
    listed = run(url, admin, "integration", "list")
    assert f"…{key[-4:]}" in listed and "API" in listed
    heartbeat = run(
        url,
        admin,
        "integration",
        "create",
        "cron",
        "--service",
        "batch",
        "--type",
        "heartbeat",
        "--interval",
        "10m",
    )
    assert "/api/v1/heartbeats/" in heartbeat
    rotated = run(url, admin, "integration", "rotate", "prom")
    new_key = rotated.split("Key (shown once): ")[1].split()[0]
    assert new_key != key
    assert "Revoked 1 key(s) of cron" in run(url, admin, "integration", "revoke", "cron")

    client.post(
        f"/api/v1/integrations/{new_key}/alertmanager", json=payload("alertmanager_firing.json")
    )
    first = alerts(tocsin)[0].id
    assert "Pod is crash looping." in run(url, responder, "alert", "list", "--status", "open")
    assert f"Alert {first} is acknowledged" in run(
        url, responder, "alert", "ack", str(first), "--note", "mine"
    )
    shown = run(url, responder, "alert", "show", str(first))
    assert "Runbook: https://runbooks.prometheus-operator.dev" in shown and "mine" in shown
    assert f"Alert {first} is resolved" in run(url, responder, "alert", "resolve", str(first))

    silenced = run(
        url,
        responder,
        "silence",
        "create",
        "--matcher",
        'alertname="DiskFull"',
        "--matcher",
        "env=prod",
        "--duration",
        "2h",
        "--comment",
        "resizing",
    )
    assert 'alertname="DiskFull", env="prod"' in silenced
    assert "resizing" in run(url, responder, "silence", "list")
    run(url, responder, "silence", "expire", "1")
    assert "resizing" not in run(url, responder, "silence", "list")
    assert "resizing" in run(url, responder, "silence", "list", "--all")


def test_report_and_clear_failures(tocsin: Tocsin, url: str, viewer: Caller) -> None:
    reported = run(url, viewer, "report", "checkout is failing for EU users", "--service", "shop")
    assert reported.startswith("Reported as alert ")
    [alert] = alerts(tocsin)
    assert (alert.summary, alert.service, alert.source) == (
        "checkout is failing for EU users",
        "shop",
        "vic",
    )
    refused = runner.invoke(
        app, ["report", "x", "--declare", "SEV-1", "--url", url, "--token", viewer.token]
    )
    assert refused.exit_code == 1
    assert "not allowed: declaring an incident needs the responder role" in refused.output
    bad = runner.invoke(app, ["alert", "ack", "999", "--url", url, "--token", viewer.token])
    assert bad.exit_code == 1 and "not allowed" in bad.output
