"""Helpers for on-call tests: the seed configuration, schedules, users, an API client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.auth.tables import User
from tocsin.config import apply, changes, validate_directory
from tocsin.config.tables import Definition
from tocsin.db.audit import AuditEntry
from tocsin.oncall.config_schema import SCHEDULE, ScheduleConfig

SEED = Path(__file__).resolve().parents[2] / "examples" / "config"
#: The seed schedule's name: its file's.
SEED_SCHEDULE = "on-call-schedule"
SEED_SHIFTS = f"/api/v1/schedules/{SEED_SCHEDULE}/shifts"


def at(text: str) -> datetime:
    """An aware instant from ISO 8601 text such as ``2026-01-12T10:00Z``."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed


def z(instant: datetime) -> str:
    """``instant`` as the API writes it: ISO 8601 in UTC with a Z."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso(text: str) -> str:
    return z(at(text))


def apply_seed(tocsin: Tocsin) -> None:
    """Apply ``examples/config`` as ``tocsin config apply`` would."""
    validation = validate_directory(SEED, CONFIG_KINDS, now=tocsin.clock.now())
    assert validation.ok
    with tocsin.database.transaction() as session:
        apply(session, validation.configuration, now=tocsin.clock.now())


def put_schedule(tocsin: Tocsin, name: str, spec: dict[str, Any]) -> None:
    """Create or replace a schedule definition directly, announced as the definitions API does."""
    stored = ScheduleConfig.model_validate(spec).model_dump(mode="json", exclude_none=True)
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        row = session.scalar(
            select(Definition).where(Definition.kind == SCHEDULE, Definition.name == name)
        )
        if row is None:
            row = Definition(kind=SCHEDULE, name=name, spec=stored, created_at=now, updated_at=now)
            session.add(row)
        else:
            row.spec, row.updated_at = stored, now
        changes.announce(session, [row], now)


def user(
    tocsin: Tocsin,
    name: str,
    role: str = "responder",
    *,
    time_zone: str = "UTC",
    working_hours: dict[str, Any] | None = None,
) -> Caller:
    """A user (made unless it exists, e.g. from the seed) with a fresh API token."""
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        found = session.scalar(select(User).where(User.name == name))
        if found is None:
            found = accounts.create_user(
                session, now=now, actor="test", name=name, email=None, role=role
            )
        found.role, found.time_zone = role, time_zone
        if working_hours is not None:
            found.spec = {**found.spec, "working_hours": working_hours}
        _, token = accounts.create_token(session, found, now=now, actor="test")
    return Caller(name, token)


@contextmanager
def client_without_engine(tocsin: Tocsin) -> Iterator[TestClient]:
    """An API client whose app starts no engine threads: tests run jobs themselves."""
    with TestClient(
        create_app(tocsin, start_engine=False), base_url="https://testserver"
    ) as client:
        yield client


def override(layer: str, who: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    """A request body putting ``who`` on ``layer`` from ``start`` to ``end``."""
    return {"layer": layer, "user": who, "start": iso(start), "end": iso(end), **extra}


def primary(client: TestClient, caller: Caller, start: str, end: str) -> list[tuple[Any, ...]]:
    """The seed schedule's primary shifts in a range: (person, start, end, override)."""
    answer = client.get(
        SEED_SHIFTS, params={"from": iso(start), "to": iso(end)}, headers=caller.headers
    )
    assert answer.status_code == 200, answer.text
    return [
        (s["person"], s["start"], s["end"], s["override"])
        for s in answer.json()
        if s["layer"] == "primary"
    ]


def audit(tocsin: Tocsin, prefix: str) -> list[AuditEntry]:
    """The audit entries whose action starts with ``prefix``, oldest first."""
    with tocsin.database.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            )
        )
