"""The paging commands over the API (served in-process: the CLI's HTTP calls go to the app)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Caller
from tests.paging.conftest import configure, people_yaml
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.domain.escalation import Urgency
from tocsin.paging import runs


@pytest.fixture
def cli(
    tocsin: Tocsin,
    sink: HttpSink,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    responder: Caller,
) -> Iterator[CliRunner]:
    configure(tocsin, tmp_path / "config", {"people.yaml": people_yaml(sink)})
    with TestClient(create_app(tocsin, start_engine=False)) as client:

        def request(method: str, url: str, **kwargs: Any) -> Any:
            kwargs.pop("timeout", None)
            return client.request(method, url.removeprefix("http://tocsin"), **kwargs)

        monkeypatch.setattr(httpx, "request", request)
        monkeypatch.setenv("TOCSIN_URL", "http://tocsin")
        monkeypatch.setenv("TOCSIN_TOKEN", responder.token)
        monkeypatch.setenv("COLUMNS", "200")
        yield CliRunner()


def run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_escalation_commands(cli: CliRunner, tocsin: Tocsin, sink: HttpSink) -> None:
    run_id = _start(tocsin)
    tocsin.engine.run_until_idle()
    assert "b-thrice" in run(cli, "escalation", "list")
    run(cli, "escalation", "escalate", str(run_id))
    tocsin.engine.run_until_idle()
    assert len(sink.received("/b")) == 2
    assert "escalated to the next step now" in run(cli, "escalation", "show", str(run_id))
    assert f"escalation {run_id}: active" in run(cli, "escalation", "reassign", str(run_id), "lead")
    tocsin.engine.run_until_idle()
    assert len(sink.received("/lead")) == 1
    assert "acknowledged by rex" in run(cli, "ack", "--escalation", str(run_id))
    assert f"escalation {run_id}: resolved" in run(cli, "escalation", "resolve", str(run_id))
    refused = cli.invoke(app, ["escalation", "resolve", str(run_id)])
    assert refused.exit_code == 1 and "refused: escalation is resolved" in refused.output


def _start(tocsin: Tocsin) -> int:
    with tocsin.database.transaction() as session:
        run = runs.start(
            session,
            subject_type="manual",
            subject_key="cli",
            title="Disk full",
            policy_name="b-thrice",
            urgency=Urgency.HIGH,
            now=tocsin.clock.now(),
        )
        return run.id


def test_user_rules_show_and_replace_through_the_api(cli: CliRunner, tmp_path: Path) -> None:
    shown = run(cli, "user", "rules", "rex")
    assert "notification rules of rex (managed by api)" in shown
    assert "high urgency: defaults (every contact method at once)" in shown
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "high_urgency:\n"
        "  - {method: webhook}\n"
        "  - {method: email, after_minutes: 2}\n"
        'quiet_hours: {start: "22:00", end: "07:00"}\n'
    )
    replaced = run(cli, "user", "set-rules", "rex", str(rules))
    assert "high urgency: webhook at once; email after 2 min" in replaced
    assert "low urgency:  defaults (the first contact method)" in replaced
    assert "quiet hours:  22:00 to 07:00" in replaced
    as_json = json.loads(run(cli, "user", "rules", "rex", "--json"))
    assert as_json["high_urgency"][1] == {"method": "email", "after_minutes": 2}

    from_stdin = cli.invoke(app, ["user", "set-rules", "rex", "-"], input='{"low_urgency": []}')
    assert from_stdin.exit_code == 0, from_stdin.output
    assert json.loads(run(cli, "user", "rules", "rex", "--json"))["high_urgency"] == []

    bad = tmp_path / "bad.yaml"
    bad.write_text("high_urgency: [{method: pigeon}]\n")
    refused = cli.invoke(app, ["user", "set-rules", "rex", str(bad)])
    assert refused.exit_code == 1
    assert "invalid input: high_urgency.0.method:" in refused.output
    other = cli.invoke(app, ["user", "rules", "engineer-a"])
    assert other.exit_code == 1 and "not allowed" in other.output
    missing = cli.invoke(app, ["user", "set-rules", "rex", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
