"""Paging configuration: validation with file and line, plan/apply, and the dry run CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.paging.conftest import SEEDS
from tocsin.app.cli import app
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.config.validate import validate_directory
from tocsin.kernel.clock import FakeClock

TEAM = """
teams:
  platform:
    members: [engineer-a, engineer-b, engineer-c, tess]
    roles: {team_lead: tess}
    escalation_policy: on-call-schedule
"""
RULES = """
users:
  tess:
    contact_methods:
      - {type: push, address: tess-phone}
      - {type: sms, address: "+15551234567"}
notification_rules:
  tess:
    high_urgency:
      - {method: push}
      - {method: sms, after_minutes: 2}
paging:
  acknowledgement_timeout_minutes: 30
  stakeholders: {vp_of_engineering: [tess]}
"""


def seed_directory(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    for seed in SEEDS.glob("*.yaml"):
        shutil.copy(seed, directory / seed.name)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(text)
    return directory


def test_paging_keys_validate_and_become_definitions(tmp_path: Path) -> None:
    directory = seed_directory(tmp_path, team=TEAM, rules=RULES)
    validation = validate_directory(directory, CONFIG_KINDS, now=FakeClock().now())
    assert validation.ok, validation.errors
    kinds = {(d.kind, d.name) for d in validation.configuration.definitions}
    assert {("paging", "paging"), ("notification_rules", "tess")} <= kinds


def test_bad_paging_fields_are_reported_at_their_line(tmp_path: Path) -> None:
    bad = RULES.replace("method: sms,", "method: pager,").replace(
        "acknowledgement_timeout_minutes: 30", "acknowledgement_timeout_minutes: -1"
    )
    directory = seed_directory(tmp_path, rules=bad)
    messages = [
        str(issue)
        for issue in validate_directory(directory, CONFIG_KINDS, now=FakeClock().now()).errors
    ]
    assert any(
        m.startswith("rules.yaml:11: notification_rules.tess.high_urgency[1].method")
        for m in messages
    )
    assert any(
        m.startswith("rules.yaml:13: paging.acknowledgement_timeout_minutes") for m in messages
    )


def test_paging_may_be_defined_in_one_file_only(tmp_path: Path) -> None:
    directory = seed_directory(tmp_path, one="paging: {}\n", two="paging: {}\n")
    errors = validate_directory(directory, CONFIG_KINDS, now=FakeClock().now()).errors
    assert any("already defined at one.yaml:1" in str(issue) for issue in errors)


def test_simulate_the_seed_configuration_from_the_command_line(tmp_path: Path) -> None:
    directory = seed_directory(tmp_path, team=TEAM, rules=RULES)
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    applied = runner.invoke(app, ["config", "apply", str(directory), *data])
    assert applied.exit_code == 0, applied.output
    result = runner.invoke(
        app,
        ["escalation", "simulate", "on-call-schedule", "--at", "2026-02-16T14:00:00Z", *data],
    )
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    dead = "(no contact method: the page would be dead)"
    assert lines[2:10] == [
        "0 min  step 1",
        f"schedule on-call-schedule primary: engineer-a {dead}",
        "5 min  step 2",
        f"schedule on-call-schedule secondary: engineer-b {dead}",
        "10 min  step 3",
        "role team_lead: tess (push tes…ne at 10 min, sms +15…67 at 12 min)",
        "15 min  step 4",
        "role engineering_manager: nobody assigned: team platform has no engineering_manager",
    ]
    unknown = runner.invoke(app, ["escalation", "simulate", "nope", *data])
    assert unknown.exit_code == 1
    assert "no escalation policy named 'nope'" in unknown.output
