"""Job rows: enqueue in the caller's transaction, claim, finish, retry, bury.

A job is written in the same transaction as the change that causes it
(transactional outbox), so a committed change always has its side effects
queued and a rolled-back change never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Integer, Result, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from tocsin.db import keyset, prepared
from tocsin.db.prepared import PerDialect, binds, prepare
from tocsin.engine.kinds import JobKind
from tocsin.engine.tables import Job

P = TypeVar("P")

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"
STATES = (PENDING, RUNNING, DONE, DEAD)
DEFAULT_MAX_ATTEMPTS = 10
#: Session.info key telling the after-commit hook that a job may be due now.
WAKE_KEY = "tocsin.wake_engine"
#: Session.info key: the earliest future run_at among the jobs a transaction queued.
DUE_KEY = "tocsin.next_due"


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_at: datetime


_JOBS = cast(Table, Job.__table__)
_C = _JOBS.c

# The statements of the hot path are built once: building a statement and
# computing its cache key on every call costs more than running it.
_ENQUEUED_COLUMNS = (
    "kind",
    "payload",
    "run_at",
    "attempts",
    "max_attempts",
    "state",
    "lease_owner",
    "lease_expires_at",
    "idempotency_key",
    "created_at",
    "updated_at",
)
_ENQUEUE = PerDialect(
    lambda insert: (
        insert(_JOBS)
        .values(binds(_JOBS, _ENQUEUED_COLUMNS))
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_C.id)
    )
)
_DUE = (
    select(_C.id)
    .where(_C.state == PENDING, _C.run_at <= bindparam("now"))
    .order_by(_C.run_at, _C.id)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(_JOBS)
    .where(_C.id.in_(_DUE.scalar_subquery()))
    .values(
        state=RUNNING,
        lease_owner=bindparam("owner"),
        lease_expires_at=bindparam("expires"),
        attempts=_C.attempts + 1,
        updated_at=bindparam("now"),
    )
    .returning(_C.id, _C.kind, _C.payload, _C.attempts, _C.max_attempts, _C.run_at)
)
_RELEASE_EXPIRED = (
    update(_JOBS)
    .where(_C.state == RUNNING, _C.lease_expires_at <= bindparam("now"))
    .values(
        state=PENDING,
        lease_owner=None,
        lease_expires_at=None,
        updated_at=bindparam("now"),
        last_error="lease expired: the worker stopped before finishing",
    )
)
_HELD = (_C.id == bindparam("job_id"), _C.state == RUNNING, _C.lease_owner == bindparam("owner"))
_FINISH = (
    update(_JOBS)
    .where(*_HELD)
    .values(
        state=DONE,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_RETRY = (
    update(_JOBS)
    .where(*_HELD)
    .values(
        state=PENDING,
        lease_owner=None,
        lease_expires_at=None,
        last_error=bindparam("error"),
        run_at=bindparam("retry_at"),
        updated_at=bindparam("now"),
    )
)
_BURY = (
    update(_JOBS)
    .where(*_HELD)
    .values(
        state=DEAD,
        lease_owner=None,
        lease_expires_at=None,
        last_error=bindparam("error"),
        finished_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_UNCLAIMED = (
    _C.id == bindparam("job_id"),
    _C.state == PENDING,
    _C.attempts == bindparam("previous"),
)
_RETRY_UNCLAIMED = (
    update(_JOBS)
    .where(*_UNCLAIMED)
    .values(
        attempts=bindparam("attempts"),
        last_error=bindparam("error"),
        run_at=bindparam("retry_at"),
        updated_at=bindparam("now"),
    )
)
_BURY_UNCLAIMED = (
    update(_JOBS)
    .where(*_UNCLAIMED)
    .values(
        state=DEAD,
        attempts=bindparam("attempts"),
        last_error=bindparam("error"),
        finished_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_RETRY_DEAD = (
    update(_JOBS)
    .where(_C.id == bindparam("job_id"), _C.state == DEAD)
    .values(
        state=PENDING,
        attempts=0,
        run_at=bindparam("now"),
        finished_at=None,
        updated_at=bindparam("now"),
    )
)
_NEXT_EVENTS = select(
    select(func.min(_C.run_at)).where(_C.state == PENDING).scalar_subquery(),
    select(func.min(_C.lease_expires_at)).where(_C.state == RUNNING).scalar_subquery(),
)


def enqueue(
    session: Session,
    kind: JobKind[P],
    payload: P,
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
        "kind": kind.name,
        "payload": kind.dump(payload),
        "run_at": due,
        "attempts": 0,
        "max_attempts": max_attempts,
        "state": PENDING,
        "lease_owner": None,
        "lease_expires_at": None,
        "idempotency_key": idempotency_key,
        "created_at": now,
        "updated_at": now,
    }
    # On the session's connection: Session.execute() would first flush every
    # pending ORM object, one flush per job; they flush later in the same transaction.
    written = _insert(session, values) is not None
    if written and due <= now:
        session.info[WAKE_KEY] = True
    elif written:
        earliest = session.info.get(DUE_KEY)
        session.info[DUE_KEY] = due if earliest is None else min(earliest, due)
    return written


def enqueue_claimed(
    session: Session,
    kind: JobKind[P],
    payload: P,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    idempotency_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> ClaimedJob | None:
    """Queue a job due now, already claimed by ``owner`` (its first attempt, leased).

    For a worker that runs the job itself as soon as ``session`` commits. The
    row is as durable as any job's: if the worker dies first, the lease runs
    out and another worker runs it. None when the idempotency key was taken.
    """
    name, stored = kind.name, kind.dump(payload)
    values = {
        "kind": name,
        "payload": stored,
        "run_at": now,
        "attempts": 1,
        "max_attempts": max_attempts,
        "state": RUNNING,
        "lease_owner": owner,
        "lease_expires_at": now + lease,
        "idempotency_key": idempotency_key,
        "created_at": now,
        "updated_at": now,
    }
    job_id = _insert(session, values)
    if job_id is None:
        return None
    return ClaimedJob(job_id, name, stored, 1, max_attempts, now)


def _insert(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a job row; its id, or None when its idempotency key was taken."""
    connection = session.connection()
    row = prepare(connection, _ENQUEUE).first(connection, values)
    return None if row is None else int(row[0])


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
    connection = prepared.reading(session)
    rows = prepare(connection, _CLAIM).all(
        connection, {"now": now, "limit": limit, "owner": owner, "expires": now + lease}
    )
    jobs = [ClaimedJob(*row) for row in rows]
    jobs.sort(key=lambda job: (job.run_at, job.id))
    return jobs


def release_expired(session: Session, *, now: datetime) -> int:
    """Return jobs whose worker's lease ran out to the queue.

    Their worker died or stalled; the next claim re-runs them. A stalled
    worker that wakes up later cannot finish them: :func:`finish` checks the
    lease owner.
    """
    return _rowcount(session.execute(_RELEASE_EXPIRED, {"now": now}))


def finish(session: Session, job_id: int, *, owner: str, now: datetime) -> bool:
    """Mark a job done if ``owner`` still holds it. Returns False if the lease was lost."""
    params = {"job_id": job_id, "owner": owner, "now": now}
    connection = session.connection()
    return prepare(connection, _FINISH).run(connection, params) == 1


def fail(
    session: Session, job: ClaimedJob, *, owner: str, now: datetime, error: str, retry_at: datetime
) -> str | None:
    """Record a failed attempt: back to pending at ``retry_at``, or dead when out of attempts.

    Returns the new state, or None if the lease was lost meanwhile.
    """
    state = DEAD if job.attempts >= job.max_attempts else PENDING
    params = {"job_id": job.id, "owner": owner, "now": now, "error": error[:4000]}
    if state == PENDING:
        params["retry_at"] = retry_at
    result = session.execute(_RETRY if state == PENDING else _BURY, params)
    return state if _rowcount(result) == 1 else None


def fail_unclaimed(
    session: Session,
    job: ClaimedJob,
    *,
    now: datetime,
    error: str,
    retry_at: datetime,
    permanent: bool = False,
) -> str | None:
    """Record a failed attempt whose claim was rolled back with the transaction it failed.

    A job whose work breaks the very transaction its claim was in (a failed
    flush rolls back everything) is pending again as if never claimed; its
    attempt still counts, so it backs off and ends up dead instead of
    breaking every batch it lands in. Nothing happens if another worker
    claimed it meanwhile. Returns the new state, or None.
    """
    state = DEAD if permanent or job.attempts >= job.max_attempts else PENDING
    params: dict[str, Any] = {
        "job_id": job.id,
        "previous": job.attempts - 1,
        "attempts": job.attempts,
        "now": now,
        "error": error[:4000],
    }
    if state == PENDING:
        params["retry_at"] = retry_at
    result = session.execute(_RETRY_UNCLAIMED if state == PENDING else _BURY_UNCLAIMED, params)
    return state if _rowcount(result) == 1 else None


def retry_dead(session: Session, job_id: int, *, now: datetime) -> bool:
    """Give a dead job a fresh set of attempts, due now."""
    if _rowcount(session.execute(_RETRY_DEAD, {"job_id": job_id, "now": now})) == 1:
        session.info[WAKE_KEY] = True
        return True
    return False


def next_due(session: Session) -> datetime | None:
    """When the earliest pending job is due, or None when nothing is pending."""
    return next_events(session)[0]


def next_lease_expiry(session: Session) -> datetime | None:
    return next_events(session)[1]


def next_events(session: Session) -> tuple[datetime | None, datetime | None]:
    """When the earliest pending job is due and the earliest lease runs out, in one query."""
    connection = prepared.reading(session)
    row = prepare(connection, _NEXT_EVENTS).first(connection, {})
    assert row is not None
    return row[0], row[1]


def _rowcount(result: Result[Any]) -> int:
    return int(result.rowcount)  # type: ignore[attr-defined]


#: The job list's order: newest first (``ix_jobs_state_id`` and ``ix_jobs_kind_id`` serve it).
LIST_ORDER = keyset.Order((Job.id.expression,))


def list_jobs(
    session: Session,
    *,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
    offset: int = 0,
) -> keyset.Page:
    """A page of jobs, newest first, after ``cursor`` (a page's ``next_cursor``)."""
    query = select(Job)
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    return keyset.page(session, query, LIST_ORDER, limit=limit, cursor=cursor, offset=offset)


#: The states whose jobs :func:`count_unfinished` counts: done jobs are history, kept for
#: ever, and counting them would read the whole table.
UNFINISHED = (PENDING, RUNNING, DEAD)


def count_unfinished(session: Session) -> dict[tuple[str, str], int]:
    """How many jobs are pending, running or dead, by ``(state, kind)``: one grouped query.

    Those are the jobs of today (the dead wait for a person), read through the
    state indexes however many done jobs the table keeps.
    """
    query = (
        select(Job.state, Job.kind, func.count())
        .where(Job.state.in_(UNFINISHED))
        .group_by(Job.state, Job.kind)
    )
    return {(state, kind): int(n) for state, kind, n in session.execute(query)}


def count_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: int(n) for state, n in rows})
    return counts
