"""Job handlers, registered by kind.

A handler receives a :class:`JobContext`. Database work it does inside
``ctx.transaction()`` commits together with the job's completion, so it happens
exactly once even when a lease expires and another worker re-runs the job.
Work outside the database (an HTTP call, an email) happens at least once; such
handlers use the job id as an idempotency key where the receiver supports one.

A handler marked :func:`batched` reaches the database only through its
context. The engine then runs the jobs of one claim in one database
transaction: each job's finishing work is a savepoint in it (rolled back
alone when the job fails or its lease is lost), and one commit finishes them
all. A crash before that commit loses every one of them together with its
completion, so each still runs exactly once.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tocsin.db.database import Database
from tocsin.engine import jobs
from tocsin.engine.kinds import BadPayload, JobKind
from tocsin.kernel.clock import Clock


class LeaseLost(Exception):
    """Another worker took the job over; this run's work is rolled back."""


class PermanentFailure(Exception):
    """A failure that retrying cannot fix: the job goes straight to dead."""


P = TypeVar("P")
_SAVEPOINT = "tocsin_job"
DEFAULT_LEASE = timedelta(seconds=60)


class Batch:
    """One transaction shared by the jobs of a claim, for :func:`batched` handlers.

    It begins with the claim; each job's work is a savepoint in it.
    ``finished`` lists the jobs whose completion waits for :meth:`commit`;
    ``lost`` those whose completion was rolled back with a transaction that
    failed (the engine records that as a failed attempt).

    With a ``writer`` lock (SQLite, where one transaction writes at a time),
    each transaction holds it from its start to its end, so the engine's
    threads take turns at it instead of in SQLite's busy handler, which
    sleeps (1, 2, 5 ... 100 ms) rather than waking when the database is free.
    """

    def __init__(self, database: Database, writer: threading.Lock | None = None) -> None:
        self.database = database
        self.finished: list[jobs.ClaimedJob] = []
        self.lost: list[tuple[jobs.ClaimedJob, str]] = []
        #: Follow-ups written in the open transaction, and those committed (ready to run).
        self.pending: list[FollowUp] = []
        self.ready: list[FollowUp] = []
        #: What handlers keep for the rest of the transaction (see ``JobContext.shared``).
        self.shared: dict[object, object] = {}
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._writer = writer
        self._writing = False
        self._release_savepoints = database.dialect == "sqlite"

    def take_ready(self) -> list[FollowUp]:
        """The committed follow-ups, handed over once."""
        ready, self.ready = self.ready, []
        return ready

    def session(self) -> Session:
        """The shared session; its transaction begins with its next statement.

        It keeps one connection for the batch's life: checking one out for each
        transaction costs a round trip on PostgreSQL (the pool's pre-ping).
        """
        if self._session is None:
            self._connection = self.database.engine.connect()
            self._session = self.database.sessions(bind=self._connection)
        if self._writer is not None and not self._writing:
            self._writer.acquire()
            self._writing = True
        return self._session

    def _done_writing(self) -> None:
        if self._writer is not None and self._writing:
            self._writing = False
            self._writer.release()

    @contextmanager
    def savepoint(self) -> Iterator[Session]:
        """A savepoint in the shared transaction: rolled back alone if the block raises.

        Written as plain SQL: SQLAlchemy's own savepoints get a fresh name
        each time, so their statements are compiled anew and cost more than
        a job's own statements. The ORM is kept in step by hand: pending
        objects are flushed inside the savepoint, and the identity map is
        emptied after it, so nothing one job read stands in for the next
        job's fresh reads. A failed flush makes SQLAlchemy roll back the
        whole transaction; the batch is then abandoned.

        A job that begins the transaction needs no savepoint: if it fails,
        the whole transaction, which holds only its work, is rolled back.
        """
        session = self.session()
        alone = not session.in_transaction()
        connection = session.connection()
        if not alone:
            connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
        try:
            yield session
            session.flush()
        except BaseException as error:
            if alone:
                self._roll_back(session, error)
            else:
                self._roll_back_savepoint(session, connection, error)
            raise
        finally:
            session.expunge_all()
        if self._release_savepoints and not alone:
            connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        # Otherwise (PostgreSQL) not released: a RELEASE would cost a round trip
        # per job. The next job's savepoint of the same name stacks on this one,
        # a rollback goes back to the latest, and the commit ends them all.
        # SQLite releases: every open level would journal the pages written again.

    def _roll_back(self, session: Session, error: BaseException) -> None:
        """Roll back a transaction that holds one job's work only."""
        try:
            session.rollback()
        except Exception as failure:
            self.abandon(failure)
            return
        self._done_writing()
        self.shared.clear()

    def _roll_back_savepoint(
        self, session: Session, connection: Connection, error: BaseException
    ) -> None:
        if session.get_transaction() is None or not session.is_active:
            self.abandon(error)
            return
        try:
            connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        except Exception as failure:
            self.abandon(failure)

    def commit(self) -> None:
        """Commit the shared transaction: every job in ``finished`` is done.

        The session stays open for the next transaction (see :meth:`close`).
        """
        session = self._session
        if session is None or not session.in_transaction():
            self._done_writing()
            return
        try:
            session.commit()
        except Exception as error:
            self.abandon(error)
            raise
        self._done_writing()
        self.finished.clear()
        self.shared.clear()
        self.ready.extend(self.pending)
        self.pending.clear()

    def close(self) -> None:
        """Commit what is pending, then release the session."""
        try:
            self.commit()
        finally:
            self._release()

    def _release(self) -> None:
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        try:
            if session is not None:
                session.close()
        finally:
            if connection is not None:
                connection.close()

    def abandon(self, error: BaseException) -> None:
        """Roll the shared transaction back; its finished jobs are lost."""
        try:
            self._release()
        finally:
            self._done_writing()
        self._lose(error)

    def _lose(self, error: BaseException) -> None:
        why = f"its transaction, shared with other jobs, failed: {type(error).__name__}: {error}"
        self.lost.extend((job, why) for job in self.finished)
        self.finished.clear()
        self.shared.clear()
        self.pending.clear()  # their rows went with the transaction


@dataclass(frozen=True)
class FollowUp:
    """A job queued by another for its worker to run next (see :meth:`JobContext.follow_up`)."""

    job: jobs.ClaimedJob
    memo: object = None


@dataclass
class JobContext:
    job: jobs.ClaimedJob
    database: Database
    clock: Clock
    owner: str
    #: The claim's shared transaction, for :func:`batched` handlers; None: one of its own.
    batch: Batch | None = None
    #: What the job that queued this one as a follow-up worked out for it, in memory;
    #: None when the job runs otherwise (claimed, retried after a failure or a crash).
    memo: object = None
    #: How long a claim lasts (follow-ups are leased for as long).
    lease: timedelta = DEFAULT_LEASE
    #: Set once the job's completion is in ``transaction()``'s commit (or the batch's).
    finished: bool = field(default=False, init=False)
    #: Follow-ups committed by this job's own transactions (without a batch).
    follow_ups: list[FollowUp] = field(default_factory=list, init=False)
    _queued: list[FollowUp] = field(default_factory=list, init=False)
    _own: dict[object, object] = field(default_factory=dict, init=False)

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def shared(self) -> dict[object, object]:
        """A cache for what one transaction read, kept for the other jobs sharing it.

        Emptied when the transaction ends, so nothing in it outlives the
        transaction that read it (the batch's, or this job's own).
        """
        return self.batch.shared if self.batch is not None else self._own

    def follow_up(
        self,
        session: Session,
        kind: JobKind[P],
        payload: P,
        *,
        idempotency_key: str | None = None,
        max_attempts: int = jobs.DEFAULT_MAX_ATTEMPTS,
        memo: object = None,
    ) -> bool:
        """Queue a job due now that this worker runs itself once ``session`` commits.

        ``session`` is this job's transaction. The row is written already
        claimed by this worker (leased like any claim), so it is as durable
        as any job: if the worker dies first, another runs it when the lease
        runs out. ``memo`` hands the follow-up what this job already worked
        out; the follow-up must work without it too, as when it is retried.
        Returns False when the idempotency key was taken (nothing queued).
        """
        job = jobs.enqueue_claimed(
            session,
            kind,
            payload,
            owner=self.owner,
            now=self.clock.now(),
            lease=self.lease,
            idempotency_key=idempotency_key,
            max_attempts=max_attempts,
        )
        if job is None:
            return False
        self._queued.append(FollowUp(job, memo))
        return True

    def settle(self) -> None:
        """Commit the transaction this job shares with others, if one is open.

        Call it before doing something outside the database (sending a
        message): nothing is sent from inside an open transaction, nor on
        behalf of work that is not durable yet.
        """
        if self.batch is not None:
            self.batch.commit()

    @contextmanager
    def transaction(self, *, finish: bool = True) -> Iterator[Session]:
        """A transaction that also marks the job done when it commits.

        With ``finish=False`` the work commits before this returns and the job
        stays running: for what must be durable before something outside the
        database happens (claiming a rate-limit slot before sending) or even
        if the job then fails (the record of a failed attempt).
        """
        if self.finished:
            raise RuntimeError("a job's finishing transaction can be opened once")
        self._queued = []
        if self.batch is None:
            try:
                with self.database.transaction() as session:
                    yield session
                    if finish:
                        self._finish(session)
            finally:
                self._own.clear()
            self.follow_ups.extend(self._queued)
        else:
            with self.batch.savepoint() as session:
                yield session
                if finish:
                    self._finish(session)
            self.batch.pending.extend(self._queued)
            if finish:
                self.batch.finished.append(self.job)
            else:
                self.batch.commit()
        self._queued = []
        if finish:
            self.finished = True

    def _finish(self, session: Session) -> None:
        if not jobs.finish(session, self.job.id, owner=self.owner, now=self.clock.now()):
            raise LeaseLost(f"job {self.job.id} is no longer leased to {self.owner}")


Handler = Callable[[JobContext], None]
_BATCHED = "tocsin_batched"
H = TypeVar("H", bound=Callable[..., None])


def batched(handler: H) -> H:
    """Mark ``handler`` as reaching the database only through its context.

    Its jobs then share one transaction with the other batched jobs of a
    claim (see the module's documentation). A handler that opens
    transactions of its own (``ctx.database``) must not be marked: on SQLite
    it would wait for the shared transaction's lock, which its own thread holds.
    """

    @functools.wraps(handler)
    def run(*args: Any) -> None:
        handler(*args)

    setattr(run, _BATCHED, True)
    return cast(H, run)


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: JobKind[P], handler: Callable[[JobContext, P], None]) -> None:
        """Run ``handler`` for jobs of ``kind``, with the job's payload read as its dataclass."""
        if kind.name in self._handlers:
            raise ValueError(f"a handler for job kind {kind.name!r} is already registered")
        self._handlers[kind.name] = _typed(kind, handler)

    def handler(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def is_batched(self, kind: str) -> bool:
        """Whether jobs of ``kind`` may share a transaction (see :func:`batched`)."""
        return bool(getattr(self._handlers.get(kind), _BATCHED, False))

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def load_modules(self, modules: tuple[str, ...]) -> None:
        """Import extension modules; each must define ``register(registry)``."""
        for name in modules:
            module = importlib.import_module(name)
            register = getattr(module, "register", None)
            if not callable(register):
                raise ValueError(f"handler module {name} has no register(registry) function")
            register(self)


def _typed(kind: JobKind[P], handler: Callable[[JobContext, P], None]) -> Handler:
    """``handler`` called with the job's payload read as ``kind``'s dataclass."""

    @functools.wraps(handler)
    def run(ctx: JobContext) -> None:
        try:
            payload = kind.load(ctx.job.payload)
        except BadPayload as error:
            raise PermanentFailure(str(error)) from None
        handler(ctx, payload)

    if getattr(handler, _BATCHED, False):
        setattr(run, _BATCHED, True)
    return run
