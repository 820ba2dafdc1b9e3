"""Services alerts can reach whose pages would reach nobody: warned about at their file and line,
by ``tocsin config validate`` and ``tocsin config plan``; and the default escalation policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.app.cli import app
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.config.validate import validate_directory
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings

PEOPLE = """\
users:
  ana:
    contact_methods: [{type: email, address: ana@example.com}]
  quiet: {}
teams:
  platform:
    members: [ana]
    roles: {team_lead: ana}
    escalation_policy: ana-first
  bare:
    members: [quiet]
escalation_policies:
  ana-first:
    steps: [{targets: [{user: ana}], timeout_minutes: 5}]
  unreachable:
    steps:
      - {targets: [{user: quiet}], timeout_minutes: 5}
      - {targets: [{role: team_lead}, {team: bare}], timeout_minutes: 5}
"""
SERVICES = """\
services:
  teamed: {team: platform}
  orphan: {team: bare}
  silent: {team: bare, escalation_policy: unreachable}
  routed: {}
  unwired: {}
integrations:
  prometheus: {service: teamed, type: alertmanager}
  grafana: {service: orphan, type: grafana}
  other: {service: silent, type: alertmanager}
routing_rules:
  to-routed:
    matchers: ['team="x"']
    service: routed
"""
ORPHAN = (
    "services.yaml:3: warning: services.orphan: alerts reach it (integration 'grafana') but "
    "no escalation policy applies to it (none of its own, none of its team's, "
    "no paging.default_escalation_policy): they page nobody"
)
SILENT = (
    "services.yaml:4: warning: services.silent: alerts reach it (integration 'other') but its "
    "escalation policy 'unreachable' targets nobody who can be paged (a person defined under "
    "users with a contact method): they page nobody"
)
ROUTED = (
    "services.yaml:5: warning: services.routed: alerts reach it (routing rule 'to-routed') but "
    "no escalation policy applies to it (none of its own, none of its team's, "
    "no paging.default_escalation_policy): they page nobody"
)
UNWIRED = (
    "services.yaml:6: warning: services.unwired: has no escalation policy and neither has its "
    "team: its alerts page nobody"
)


def write(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    for name, text in {"people.yaml": PEOPLE, "services.yaml": SERVICES, **files}.items():
        (directory / name).write_text(text)
    return directory


def warnings(directory: Path) -> list[str]:
    validation = validate_directory(directory, CONFIG_KINDS, now=FakeClock().now())
    assert validation.ok, [str(issue) for issue in validation.errors]
    return [str(issue) for issue in validation.warnings if "services." in issue.path]


def test_every_reachable_service_whose_pages_reach_nobody_is_warned_about(
    tmp_path: Path,
) -> None:
    # teamed takes its team's policy: no warning.
    assert warnings(write(tmp_path)) == [ORPHAN, SILENT, ROUTED, UNWIRED]


def test_a_default_escalation_policy_covers_services_without_one(tmp_path: Path) -> None:
    directory = write(
        tmp_path, **{"paging.yaml": "paging:\n  default_escalation_policy: ana-first\n"}
    )
    assert warnings(directory) == [SILENT]


def test_an_unknown_default_escalation_policy_is_an_error(tmp_path: Path) -> None:
    paging = "paging:\n  default_escalation_policy: ana-frist\n"
    validation = validate_directory(
        write(tmp_path, **{"paging.yaml": paging}), CONFIG_KINDS, now=FakeClock().now()
    )
    assert [str(issue) for issue in validation.errors] == [
        "paging.yaml:2: paging.default_escalation_policy: unknown escalation policy "
        "'ana-frist' (did you mean 'ana-first'?)"
    ]


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_validate_and_plan_print_the_warnings(
    settings: Settings, tmp_path: Path, command: str
) -> None:
    directory = write(tmp_path)
    database = ["--data-dir", str(settings.data_dir), "--database-url", settings.database_url]
    words = ["config", command, str(directory), *(database if command == "plan" else [])]
    result = CliRunner().invoke(app, words)
    assert result.exit_code == 0, result.output
    printed = result.stderr.splitlines()
    assert [line for line in printed if line in (ORPHAN, SILENT, ROUTED, UNWIRED)] == [
        ORPHAN,
        SILENT,
        ROUTED,
        UNWIRED,
    ]
