"""Job rows: enqueue in the caller's transaction, claim, finish, retry, bury.

A job is written in the same transaction as the change that causes it
(transactional outbox), so a committed change always has its side effects
queued and a rolled-back change never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tocsin.store.tables import Job

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"
STATES = (PENDING, RUNNING, DONE, DEAD)
DEFAULT_MAX_ATTEMPTS = 10
#: Session.info key telling the after-commit hook that a job may be due now.
WAKE_KEY = "tocsin.wake_engine"


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_at: datetime


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> bool:
    """Queue a job in ``session``'s transaction.

    With an ``idempotency_key`` a second enqueue of the same key is ignored
    (the database's unique index decides, so concurrent callers cannot both
    insert). Returns whether a row was written.
    """
    due = run_at or now
    values = {
        "kind": kind,
        "payload": payload,
        "run_at": due,
        "attempts": 0,
        "max_attempts": max_attempts,
        "state": PENDING,
        "idempotency_key": idempotency_key,
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(Job)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Job.id)
    )
    written = session.execute(stmt).scalar() is not None
    if written and due <= now:
        session.info[WAKE_KEY] = True
    return written


def claim(
    session: Session, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs to ``owner``.

    Due means pending with ``run_at`` reached. On PostgreSQL rows locked by
    another worker are skipped (``FOR UPDATE SKIP LOCKED``); SQLite has a single
    writer, so the surrounding ``BEGIN IMMEDIATE`` already serialises claims.
    Each claim counts as an attempt, so a job that keeps killing its worker
    still ends up dead instead of looping for ever.
    """
    due = (
        select(Job.id)
        .where(Job.state == PENDING, Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()))
        .values(
            state=RUNNING,
            lease_owner=owner,
            lease_expires_at=now + lease,
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.run_at)
        .execution_options(synchronize_session=False)
    ).all()
    jobs = [ClaimedJob(*row) for row in rows]
    jobs.sort(key=lambda job: (job.run_at, job.id))
    return jobs


def release_expired(session: Session, *, now: datetime) -> int:
    """Return jobs whose worker's lease ran out to the queue.

    Their worker died or stalled; the next claim re-runs them. A stalled
    worker that wakes up later cannot finish them: :func:`finish` checks the
    lease owner.
    """
    result = session.execute(
        update(Job)
        .where(Job.state == RUNNING, Job.lease_expires_at <= now)
        .values(
            state=PENDING,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
            last_error="lease expired: the worker stopped before finishing",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def finish(session: Session, job_id: int, *, owner: str, now: datetime) -> bool:
    """Mark a job done if ``owner`` still holds it. Returns False if the lease was lost."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == RUNNING, Job.lease_owner == owner)
        .values(
            state=DONE, lease_owner=None, lease_expires_at=None, finished_at=now, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def fail(
    session: Session, job: ClaimedJob, *, owner: str, now: datetime, error: str, retry_at: datetime
) -> str | None:
    """Record a failed attempt: back to pending at ``retry_at``, or dead when out of attempts.

    Returns the new state, or None if the lease was lost meanwhile.
    """
    state = DEAD if job.attempts >= job.max_attempts else PENDING
    values: dict[str, Any] = {
        "state": state,
        "lease_owner": None,
        "lease_expires_at": None,
        "last_error": error[:4000],
        "updated_at": now,
    }
    if state == PENDING:
        values["run_at"] = retry_at
    else:
        values["finished_at"] = now
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == RUNNING, Job.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return state if int(result.rowcount) == 1 else None  # type: ignore[attr-defined]


def retry_dead(session: Session, job_id: int, *, now: datetime) -> bool:
    """Give a dead job a fresh set of attempts, due now."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == DEAD)
        .values(state=PENDING, attempts=0, run_at=now, finished_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount) == 1:  # type: ignore[attr-defined]
        session.info[WAKE_KEY] = True
        return True
    return False


def next_due(session: Session) -> datetime | None:
    """When the earliest pending job is due, or None when nothing is pending."""
    return session.scalar(select(func.min(Job.run_at)).where(Job.state == PENDING))


def next_lease_expiry(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Job.lease_expires_at)).where(Job.state == RUNNING))


def list_jobs(
    session: Session,
    *,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit).offset(offset)
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    return list(session.scalars(query))


def count_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: int(n) for state, n in rows})
    return counts
