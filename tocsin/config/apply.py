"""Applying a validated configuration: the plan, carried out in the caller's transaction.

The plan is computed inside the same transaction that carries it out, so
what is applied is exactly what was compared; if anything fails the caller's
transaction rolls back and nothing is left half-written. Every change gets an
audit entry by the actor ``config``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config import changes
from tocsin.config.desired import USER, Configuration, DesiredDefinition, DesiredUser
from tocsin.config.plan import Action, Change, Plan, plan
from tocsin.config.tables import Definition
from tocsin.db import audit

ACTOR = "config"


def _definition(session: Session, change: Change) -> Definition | None:
    return session.scalars(
        select(Definition).where(Definition.kind == change.kind, Definition.name == change.name)
    ).one_or_none()


def _apply_definition(session: Session, change: Change, now: datetime) -> Definition | None:
    """Carry out one change; returns the row written (None for a removal)."""
    row = _definition(session, change)
    if change.action is Action.REMOVE:
        if row is not None:
            session.delete(row)
        return None
    wanted = change.desired
    assert isinstance(wanted, DesiredDefinition)
    if row is None:
        row = Definition(kind=wanted.kind, name=wanted.name, created_at=now)
        session.add(row)
    row.position = wanted.position
    row.spec = wanted.spec
    row.managed_by = wanted.origin.file
    row.updated_at = now
    return row


def _apply_user(session: Session, change: Change, now: datetime) -> None:
    row = session.scalars(select(User).where(User.name == change.name)).one_or_none()
    if change.action is Action.RELEASE:
        if row is not None:
            row.managed_by = None
            row.updated_at = now
        return
    wanted = change.desired
    assert isinstance(wanted, DesiredUser)
    if row is None:
        row = User(name=wanted.name, created_at=now)
        session.add(row)
    for column, value in wanted.fields().items():
        setattr(row, column, value)
    row.managed_by = wanted.origin.file
    row.updated_at = now


def apply(session: Session, configuration: Configuration, *, now: datetime) -> Plan:
    """Make the database match ``configuration``; returns what was done.

    Runs in the caller's transaction (``Database.transaction()``): commit and
    rollback are the caller's, which is what makes apply all-or-nothing. The
    definitions written are announced in it (:mod:`tocsin.config.changes`).
    """
    done = plan(session, configuration)
    written: list[Definition] = []
    for change in done.changes:
        if change.kind == USER:
            _apply_user(session, change, now)
        else:
            row = _apply_definition(session, change, now)
            if row is not None:
                written.append(row)
        audit.record(
            session,
            at=now,
            actor=ACTOR,
            action=f"config.{change.action}",
            object_type=change.kind,
            object_key=change.name,
            detail={
                "file": change.file,
                "changes": [field.as_json() for field in change.fields],
            },
        )
        session.flush()
    changes.announce(session, written, now)
    return done
