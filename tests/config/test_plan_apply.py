"""Plan and apply against a real database: create, no-op, change, remove, release, adopt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.auth.tables import User
from tocsin.config import (
    Configuration,
    Plan,
    apply,
    managed_by,
    plan,
    validate_directory,
)
from tocsin.config.tables import Definition
from tocsin.db import migrate
from tocsin.db.audit import AuditEntry
from tocsin.db.database import Database
from tocsin.incidents.config_schema import severity_scale
from tocsin.kernel.settings import Settings

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "config"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    opened = Database(settings)
    migrate.upgrade(opened.engine)
    yield opened
    opened.dispose()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(SEEDS, directory)
    return directory


def load(directory: Path) -> Configuration:
    validation = validate_directory(directory, CONFIG_KINDS, now=NOW)
    assert validation.ok, [str(issue) for issue in validation.errors]
    return validation.configuration


def planned(database: Database, directory: Path) -> list[str]:
    with database.sessions() as session:
        return plan(session, load(directory)).lines()


def applied(database: Database, directory: Path, now: datetime = NOW) -> Plan:
    with database.transaction() as session:
        return apply(session, load(directory), now=now)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


SEED_PLAN = [
    "+ create severity SEV-1 (severity-definitions.yaml)",
    "+ create severity SEV-2 (severity-definitions.yaml)",
    "+ create severity SEV-3 (severity-definitions.yaml)",
    "+ create severity SEV-4 (severity-definitions.yaml)",
    "+ create incident_role incident_commander (incident-roles.yaml)",
    "+ create incident_role communications_lead (incident-roles.yaml)",
    "+ create incident_role operations_lead (incident-roles.yaml)",
    "+ create incident_role scribe (incident-roles.yaml)",
    "+ create schedule on-call-schedule (on-call-schedule.yaml)",
    "+ create escalation_policy on-call-schedule (on-call-schedule.yaml)",
    "+ create postmortem_template postmortem-template (postmortem-template.yaml)",
    "+ create user engineer-a (on-call-schedule.yaml)",
    "+ create user engineer-b (on-call-schedule.yaml)",
    "+ create user engineer-c (on-call-schedule.yaml)",
    "+ create user team-lead (postmortem-template.yaml)",
    "Plan: 15 to create.",
]
NO_CHANGES = ["No changes: the database matches the configuration."]


def test_the_seed_files_apply_unchanged(database: Database) -> None:
    assert planned(database, SEEDS) == SEED_PLAN
    done = applied(database, SEEDS)
    assert done.lines() == SEED_PLAN
    assert done.applied_summary() == "Applied: 15 created."
    with database.sessions() as session:
        rows = session.scalars(select(Definition).order_by(Definition.kind, Definition.position))
        stored = [(row.kind, row.name, row.position, row.managed_by) for row in rows]
        users = session.scalars(select(User).order_by(User.name)).all()
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        scale = severity_scale(session)
        owner = managed_by(session, "schedule", "on-call-schedule")
        user_owner = managed_by(session, "user", "team-lead")
        nobody = managed_by(session, "team", "payments")
    assert ("severity", "SEV-4", 3, "severity-definitions.yaml") in stored
    assert ("incident_role", "scribe", 3, "incident-roles.yaml") in stored
    assert ("escalation_policy", "on-call-schedule", 0, "on-call-schedule.yaml") in stored
    assert len(stored) == 11
    assert [(u.name, u.contact_methods, u.managed_by, u.role) for u in users] == [
        ("engineer-a", [], "on-call-schedule.yaml", "responder"),
        ("engineer-b", [], "on-call-schedule.yaml", "responder"),
        ("engineer-c", [], "on-call-schedule.yaml", "responder"),
        ("team-lead", [], "postmortem-template.yaml", "responder"),
    ]
    assert len(entries) == 15
    assert {(e.actor, e.action) for e in entries} == {("config", "config.create")}
    assert (entries[0].object_type, entries[0].object_key, entries[0].at) == (
        "severity",
        "SEV-1",
        NOW,
    )
    assert entries[0].detail == {"file": "severity-definitions.yaml", "changes": []}
    assert [level.level for level in scale] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert scale.get("sev2") is not None
    assert scale[0].response_time.within == timedelta(minutes=5)
    assert scale[1].escalation.roles == ("engineering_manager",)
    assert scale[3].response_time.is_business_day
    assert (owner, user_owner, nobody) == (
        "on-call-schedule.yaml",
        "postmortem-template.yaml",
        None,
    )


def test_applying_twice_is_a_no_op(database: Database) -> None:
    applied(database, SEEDS)
    assert planned(database, SEEDS) == NO_CHANGES
    assert applied(database, SEEDS, now=NOW + timedelta(days=1)).empty
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 15
        latest = session.scalar(select(func.max(Definition.updated_at)))
    assert latest == NOW


def test_changes_are_shown_field_by_field_and_audited(database: Database, config_dir: Path) -> None:
    applied(database, config_dir)
    edit(config_dir / "severity-definitions.yaml", '"15 minutes"', '"20 minutes"')
    edit(config_dir / "incident-roles.yaml", '      - "Prepare notes for the postmortem"\n', "")
    expected = [
        "~ change severity SEV-2 (severity-definitions.yaml)",
        "    spec.response_time.text: '15 minutes' → '20 minutes'",
        "    spec.response_time.seconds: 900 → 1200",
        "~ change incident_role scribe (incident-roles.yaml)",
        "    spec.responsibilities[3]: 'Prepare notes for the postmortem' → (none)",
        "Plan: 2 to change.",
    ]
    assert planned(database, config_dir) == expected
    assert applied(database, config_dir, now=NOW + timedelta(hours=1)).lines() == expected
    assert planned(database, config_dir) == NO_CHANGES
    with database.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "config.change").order_by(AuditEntry.id)
        ).first()
        row = session.scalars(select(Definition).where(Definition.name == "SEV-2")).one()
    assert entry is not None
    assert entry.detail == {
        "file": "severity-definitions.yaml",
        "changes": [
            {"field": "spec.response_time.text", "before": "15 minutes", "after": "20 minutes"},
            {"field": "spec.response_time.seconds", "before": 900, "after": 1200},
        ],
    }
    assert (row.created_at, row.updated_at) == (NOW, NOW + timedelta(hours=1))


def test_removed_definitions_are_deleted_and_users_released(
    database: Database, config_dir: Path
) -> None:
    (config_dir / "users.yaml").write_text(
        "users:\n  alice:\n    contact_methods: [{type: email, address: a@example.com}]\n",
        encoding="utf-8",
    )
    applied(database, config_dir)
    (config_dir / "incident-roles.yaml").unlink()
    (config_dir / "users.yaml").unlink()
    expected = [
        "- remove incident_role incident_commander (incident-roles.yaml)",
        "- remove incident_role communications_lead (incident-roles.yaml)",
        "- remove incident_role operations_lead (incident-roles.yaml)",
        "- remove incident_role scribe (incident-roles.yaml)",
        "- release user alice (users.yaml): the user stays, no longer managed by configuration",
        "Plan: 4 to remove, 1 to release.",
    ]
    assert planned(database, config_dir) == expected
    applied(database, config_dir)
    with database.sessions() as session:
        kinds = session.scalars(select(Definition.kind).distinct()).all()
        alice = session.scalars(select(User).where(User.name == "alice")).one()
    assert "incident_role" not in kinds
    assert alice.managed_by is None
    assert alice.contact_methods == [{"type": "email", "address": "a@example.com"}]
    assert planned(database, config_dir) == NO_CHANGES


def test_objects_made_through_the_api_are_adopted(database: Database, config_dir: Path) -> None:
    with database.transaction() as session:
        session.add(
            Definition(
                kind="severity",
                name="SEV-1",
                position=5,
                spec={"level": "SEV-1"},
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            Definition(kind="team", name="api-made", spec={}, created_at=NOW, updated_at=NOW)
        )
        session.add(
            User(
                name="alice",
                full_name="Alice",
                email="old@example.com",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(User(name="engineer-a", full_name="Eng A", created_at=NOW, updated_at=NOW))
    (config_dir / "users.yaml").write_text(
        "users:\n  alice: {full_name: Alice, email: alice@example.com}\n", encoding="utf-8"
    )
    lines = planned(database, config_dir)
    assert lines[:4] == [
        "> adopt severity SEV-1 (severity-definitions.yaml)",
        "    position: 5 → 0",
        "    spec.name: (none) → 'Critical'",
        "    spec.description: (none) → 'Complete service outage affecting all users'",
    ]
    assert lines[-6:] == [
        "> adopt user alice (users.yaml)",
        "    email: 'old@example.com' → 'alice@example.com'",
        "+ create user engineer-b (on-call-schedule.yaml)",
        "+ create user engineer-c (on-call-schedule.yaml)",
        "+ create user team-lead (postmortem-template.yaml)",
        "Plan: 13 to create, 2 to adopt.",
    ]
    assert not any("api-made" in line for line in lines)
    applied(database, config_dir)
    with database.sessions() as session:
        assert managed_by(session, "severity", "SEV-1") == "severity-definitions.yaml"
        assert managed_by(session, "user", "alice") == "users.yaml"
        assert managed_by(session, "user", "engineer-a") is None
        assert managed_by(session, "team", "api-made") is None
        engineer = session.scalars(select(User).where(User.name == "engineer-a")).one()
    assert engineer.full_name == "Eng A"
    assert planned(database, config_dir) == NO_CHANGES


def test_moving_an_object_to_another_file_changes_its_owner(
    database: Database, config_dir: Path
) -> None:
    applied(database, config_dir)
    roles = config_dir / "incident-roles.yaml"
    roles.rename(config_dir / "roles.yaml")
    lines = planned(database, config_dir)
    assert lines[:2] == [
        "~ change incident_role incident_commander (roles.yaml)",
        "    managed_by: 'incident-roles.yaml' → 'roles.yaml'",
    ]
    assert lines[-1] == "Plan: 4 to change."


def test_an_implicit_user_defined_later_gets_the_definition(
    database: Database, config_dir: Path
) -> None:
    applied(database, config_dir)
    (config_dir / "users.yaml").write_text(
        "users:\n  engineer-a: {time_zone: Europe/Berlin}\n", encoding="utf-8"
    )
    assert planned(database, config_dir) == [
        "~ change user engineer-a (users.yaml)",
        "    managed_by: 'on-call-schedule.yaml' → 'users.yaml'",
        "    time_zone: 'UTC' → 'Europe/Berlin'",
        "Plan: 1 to change.",
    ]


def test_a_failed_apply_leaves_the_database_unchanged(database: Database, config_dir: Path) -> None:
    applied(database, config_dir)
    edit(config_dir / "severity-definitions.yaml", '"15 minutes"', '"20 minutes"')
    with pytest.raises(RuntimeError), database.transaction() as session:
        apply(session, load(config_dir), now=NOW)
        raise RuntimeError("the disk filled up")
    assert planned(database, SEEDS) == NO_CHANGES
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 15
