"""``tocsin config validate|plan|apply`` end to end, through the real command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.config.test_plan_apply import NO_CHANGES, SEED_PLAN
from tests.config.test_schema import SEED_WARNINGS
from tocsin.app.cli import app
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.kernel.settings import Settings

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "config"
BROKEN_LINE = (
    "on-call-schedule.yaml:20: schedule.escalation.timeout_minutes: "
    "must be a positive integer, got 'five'"
)

#: Every top-level key a configuration file may have, as error messages list them.
ACCEPTED = ", ".join(sorted(CONFIG_KINDS.readers))


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The seed files with one field broken."""
    directory = tmp_path / "broken"
    shutil.copytree(SEEDS, directory)
    schedule = directory / "on-call-schedule.yaml"
    text = schedule.read_text(encoding="utf-8")
    schedule.write_text(
        text.replace("timeout_minutes: 5", "timeout_minutes: five"), encoding="utf-8"
    )
    return directory


def tocsin(settings: Settings, *args: str | Path) -> Result:
    database = ["--data-dir", str(settings.data_dir), "--database-url", settings.database_url]
    words = [str(arg) for arg in args]
    return CliRunner().invoke(app, [*words, *database] if words[1] != "validate" else words)


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_validate_the_seed_files(settings: Settings) -> None:
    result = tocsin(settings, "config", "validate", SEEDS)
    assert result.exit_code == 0
    assert lines(result.stdout) == [f"Valid: 11 definitions and 4 users in {SEEDS}."]
    assert lines(result.stderr) == SEED_WARNINGS


def test_the_documented_validate_runs_from_a_fresh_clone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/configuration.md runs this from the repository root: the seeds ship with it."""
    monkeypatch.chdir(SEEDS.parents[1])
    result = CliRunner().invoke(app, ["config", "validate", "examples/config"])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == ["Valid: 11 definitions and 4 users in examples/config."]


def test_apply_then_plan_then_apply_again(settings: Settings) -> None:
    plan = tocsin(settings, "config", "plan", SEEDS)
    assert plan.exit_code == 0
    assert lines(plan.stdout) == SEED_PLAN
    first = tocsin(settings, "config", "apply", SEEDS)
    assert first.exit_code == 0
    assert lines(first.stdout) == [*SEED_PLAN[:-1], "Applied: 15 created."]
    assert lines(first.stderr) == SEED_WARNINGS
    again = tocsin(settings, "config", "plan", SEEDS)
    assert lines(again.stdout) == NO_CHANGES
    second = tocsin(settings, "config", "apply", SEEDS)
    assert second.exit_code == 0
    assert lines(second.stdout) == NO_CHANGES


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_broken_field_is_reported_with_file_and_line(
    settings: Settings, broken: Path, command: str
) -> None:
    result = tocsin(settings, "config", command, broken)
    assert result.exit_code == 1
    assert result.stdout == ""
    then = {"validate": "", "plan": "; no plan was made", "apply": "; nothing was applied"}
    errors = [line for line in lines(result.stderr) if ": warning: " not in line]
    assert errors == [BROKEN_LINE, f"1 error{then[command]}."]


def test_a_failed_apply_leaves_the_database_as_it_was(settings: Settings, broken: Path) -> None:
    assert tocsin(settings, "config", "apply", broken).exit_code == 1
    assert lines(tocsin(settings, "config", "plan", SEEDS).stdout) == SEED_PLAN
    assert tocsin(settings, "config", "apply", SEEDS).exit_code == 0
    assert tocsin(settings, "config", "apply", broken).exit_code == 1
    assert lines(tocsin(settings, "config", "plan", SEEDS).stdout) == NO_CHANGES


def test_warnings_do_not_fail_and_errors_are_sorted_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("teams:\n  x: {members: [ghost]}\n  y: {size: 3}\n")
    (tmp_path / "a.yaml").write_text("services:\n  api: {team: nope}\nextra: 1\n")
    result = CliRunner().invoke(app, ["config", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "a.yaml:2: services.api.team: unknown team 'nope'; defined: x, y",
        f"a.yaml:3: extra: unknown top-level key; accepted keys are {ACCEPTED}",
        "b.yaml:2: warning: teams.x.members[0]: 'ghost' is not defined under users in any file; "
        "they get a user without contact methods and cannot be paged",
        "b.yaml:3: teams.y.size: unknown field; accepted fields are description, "
        "escalation_policy, members, roles",
        "3 errors.",
    ]


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["config", "validate", str(missing)])
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        f"{missing.as_posix()}:1: is not a directory of configuration files",
        "1 error.",
    ]
