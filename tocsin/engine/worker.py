"""The engine loop: claim due jobs, run their handlers, retry or bury failures.

Each process runs a few worker threads. They sleep on the injected clock until
the next job is due, a poll interval passes (to notice jobs other processes
wrote), or something in this process commits a job that is due now. Each
job's lateness, from when it was due to when it starts, is recorded for
``/metrics`` (:mod:`tocsin.telemetry.instruments`).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import traceback
from collections import deque
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from tocsin.db.database import Database
from tocsin.db.outage import Failing, Outage
from tocsin.engine import jobs
from tocsin.engine.backoff import retry_delay
from tocsin.engine.registry import (
    Batch,
    FollowUp,
    HandlerRegistry,
    JobContext,
    LeaseLost,
    PermanentFailure,
)
from tocsin.kernel.clock import Clock
from tocsin.telemetry import instruments as telemetry

log = logging.getLogger("tocsin.engine")
#: When the next pending job is due and the next lease runs out (None: none).
Upcoming = tuple[datetime | None, datetime | None]
#: The time keeper's deadline while no thread keeps time.
_NEVER = datetime.max.replace(tzinfo=UTC)


class Engine:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        registry: HandlerRegistry,
        *,
        lease: timedelta = timedelta(seconds=60),
        poll: timedelta = timedelta(seconds=1),
        threads: int = 2,
        batch: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.registry = registry
        self.lease = lease
        self.poll = poll
        self.threads = threads
        self.batch = batch
        self.rng = rng or random.Random()
        self.owner_prefix = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stop = threading.Event()
        # Idle threads, each waiting on its own event; wake() sets one of them,
        # so a job due now wakes one thread, not every thread at once.
        self._idle_lock = threading.Lock()
        self._idle: list[threading.Event] = []
        self._unclaimed_wakes = 0
        #: The idle thread waiting for the next due job (the others wait for wake()),
        #: until when, and the earliest future job this process queued since.
        self._timekeeper: threading.Event | None = None
        self._deadline = _NEVER
        self._soonest: datetime | None = None
        self._workers: list[threading.Thread] = []
        self._last_cycle: datetime | None = None
        #: When jobs whose lease ran out are next returned to the queue (once per poll).
        self._next_release: datetime | None = None
        #: SQLite writes one transaction at a time: the threads' batches take turns here.
        self._writer = threading.Lock() if database.dialect == "sqlite" else None
        self._listening = False
        #: Cycles whose claim or commit failed (the database cannot be written).
        self.outage = Outage(log, "job engine")
        #: The engine threads' claims in progress, and how many of their claims ran a job,
        #: so that run_until_idle also waits for jobs a thread took before it looked.
        self._claims = threading.Condition()
        self._claiming = 0
        self._claims_that_ran = 0

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        if self._workers:
            return
        self._stop.clear()
        event.listen(self.database.sessions, "after_commit", self._after_commit)
        self._listening = True
        for n in range(self.threads):
            worker = threading.Thread(
                target=self._loop,
                args=(f"{self.owner_prefix}:{n}",),
                name=f"tocsin-engine-{n}",
                daemon=True,
            )
            worker.start()
            self._workers.append(worker)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._idle_lock:
            for idle in self._idle:
                idle.set()
        for worker in self._workers:
            worker.join(timeout)
        self._workers.clear()
        if self._listening:
            event.remove(self.database.sessions, "after_commit", self._after_commit)
            self._listening = False

    @property
    def running(self) -> bool:
        return bool(self._workers) and all(w.is_alive() for w in self._workers)

    @property
    def last_cycle(self) -> datetime | None:
        return self._last_cycle

    @property
    def failing(self) -> Failing | None:
        """Set while the engine's cycles fail (cannot claim or commit), until one succeeds."""
        return self.outage.current

    def wake(self) -> None:
        """Have one more thread look for due jobs now."""
        with self._idle_lock:
            if self._idle:
                self._idle.pop(0).set()
            elif self._unclaimed_wakes < self.threads:
                # Every thread is busy: the next one to finish looks again at once.
                self._unclaimed_wakes += 1

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(jobs.WAKE_KEY, False):
            self.wake()
        due = session.info.pop(jobs.DUE_KEY, None)
        if due is not None:
            with self._idle_lock:
                if self._soonest is None or due < self._soonest:
                    self._soonest = due
                if self._timekeeper is not None and due < self._deadline:
                    self._timekeeper.set()  # it sleeps past this job: have it look again

    # -- work --------------------------------------------------------------

    def run_once(self, owner: str | None = None) -> int:
        """Claim and run one batch of due jobs and their follow-ups; returns how many ran.

        Jobs of :func:`~tocsin.engine.registry.batched` handlers share one
        transaction; the engine commits it before running any other handler
        (which opens transactions of its own) and after the last job. The
        follow-ups the jobs queued (``JobContext.follow_up``) run once it has
        committed.
        """
        return self._run_claim(owner or f"{self.owner_prefix}:sync")[0]

    def _run_claim(self, owner: str) -> tuple[int, int, Upcoming | None]:
        """Jobs run, jobs claimed, and (when the claim was not full) the next due
        job and lease expiry as the claim saw them."""
        now = self.clock.now()
        batch = Batch(self.database, self._writer)
        # The claim is the start of the batch's transaction: it commits with the
        # first jobs' work (one commit fewer), and until then the claimed rows
        # are locked (PostgreSQL) or the database is (SQLite), so nobody else
        # can take them; if the process dies first, they were never claimed.
        upcoming: Upcoming | None = None
        try:
            session = batch.session()
            if self._next_release is None or now >= self._next_release:
                jobs.release_expired(session, now=now)
                self._next_release = now + self.poll
            claimed = jobs.claim(session, owner=owner, now=now, lease=self.lease, limit=self.batch)
            if len(claimed) < self.batch:
                # Read now, in the same transaction, for the thread's rest after
                # this batch; jobs queued since are known from this process's commits.
                upcoming = jobs.next_events(session)
        except BaseException as error:
            batch.abandon(error)
            batch.close()
            raise
        queue = deque(FollowUp(job) for job in claimed)
        ran = 0
        try:
            while queue:
                while queue:
                    item = queue.popleft()
                    ran += 1
                    if self.registry.is_batched(item.job.kind):
                        self._run(item, owner, batch, queue)
                    else:
                        self._commit(batch, owner)
                        queue.extend(batch.take_ready())
                        self._run(item, owner, None, queue)
                    self._record_lost(batch, owner)
                    queue.extend(batch.take_ready())
                # Follow-ups run once the transaction that wrote them has committed.
                self._commit(batch, owner)
                queue.extend(batch.take_ready())
        except BaseException as error:
            # A bug in the engine itself: what the batch held is rolled back and
            # its jobs' leases run out; the lock and the connection are released.
            batch.abandon(error)
            raise
        finally:
            self._commit(batch, owner, close=True)
        return ran, len(claimed), upcoming

    def run_until_idle(self, max_rounds: int = 10_000, settle: float = 60.0) -> int:
        """Run batches until nothing is due at the current clock time (for tests and CLI).

        When the engine's threads run too (an app started with its engine), a job
        one of them claimed is not due for this caller, yet not done either: before
        saying idle, wait (up to ``settle`` seconds) for the threads' claims in
        progress to finish, and look again if any of them ran a job meanwhile,
        since what it queued may be due now.
        """
        total = 0
        for _ in range(max_rounds):
            with self._claims:
                seen = self._claims_that_ran
            ran = self.run_once()
            total += ran
            if ran:
                continue
            with self._claims:
                self._claims.wait_for(lambda: self._claiming == 0, timeout=settle)
                if self._claims_that_ran == seen:
                    return total
        raise RuntimeError(f"jobs still due after {max_rounds} rounds")

    def _run(self, item: FollowUp, owner: str, batch: Batch | None, queue: deque[FollowUp]) -> None:
        job = item.job
        telemetry.job_started(job.kind, self.clock.now() - job.run_at)
        handler = self.registry.handler(job.kind)
        ctx = JobContext(
            job=job,
            database=self.database,
            clock=self.clock,
            owner=owner,
            batch=batch,
            memo=item.memo,
            lease=self.lease,
        )
        try:
            if handler is None:
                raise PermanentFailure(f"no handler is registered for job kind {job.kind!r}")
            handler(ctx)
            if not ctx.finished:
                with ctx.transaction():
                    pass
        except LeaseLost as exc:
            log.warning("job %s: %s", job.id, exc)
        except Exception as exc:
            self._record_failure(job, owner, exc, batch)
        queue.extend(ctx.follow_ups)

    def _commit(self, batch: Batch, owner: str, *, close: bool = False) -> None:
        for _ in range(2):
            try:
                batch.commit()
            except Exception as error:  # its jobs will be retried
                self.outage.failed(error, self.clock.now())
            if not batch.lost:
                break
            # Recorded in a transaction of the batch, committed next time round;
            # if that fails too, their leases run out and they run again.
            self._record_lost(batch, owner)
        if close:
            try:
                batch.close()
            except Exception:
                log.exception("closing a batch of jobs failed; they will be retried")

    def _record_lost(self, batch: Batch, owner: str) -> None:
        """Jobs whose completion a failed shared transaction took with it.

        If their claim went with it too, they are pending again and are simply
        claimed again (no attempt counted: nothing of theirs failed);
        otherwise each is a failed attempt, retried with backoff.
        """
        while batch.lost:
            job, why = batch.lost.pop()
            self._record_failure(job, owner, RuntimeError(why), batch, blame=False)

    def _record_failure(
        self,
        claimed: jobs.ClaimedJob,
        owner: str,
        exc: Exception,
        batch: Batch | None,
        *,
        blame: bool = True,
    ) -> None:
        now = self.clock.now()
        permanent = isinstance(exc, PermanentFailure)
        job = claimed
        if permanent:
            job = jobs.ClaimedJob(
                job.id, job.kind, job.payload, job.max_attempts, job.max_attempts, job.run_at
            )
        error = "".join(traceback.format_exception_only(exc)).strip()
        retry_at = now + retry_delay(job.attempts, self.rng)

        def record(session: Session) -> str | None:
            state = jobs.fail(session, job, owner=owner, now=now, error=error, retry_at=retry_at)
            if state is None and blame:
                # Its failure rolled back its claim too (a failed flush ends the
                # whole transaction): the attempt counts all the same.
                state = jobs.fail_unclaimed(
                    session, claimed, now=now, error=error, retry_at=retry_at, permanent=permanent
                )
            return state

        state: str | None = None
        recorded = False
        if batch is not None:
            try:
                with batch.savepoint() as session:
                    state = record(session)
                recorded = True
            except Exception as failure:
                log.exception("job %s: recording its failure in the batch failed", job.id)
                batch.abandon(failure)
        if not recorded:
            try:
                with self._writing(), self.database.transaction() as session:
                    state = record(session)
            except Exception:
                log.exception("job %s: could not record its failure; its lease will expire", job.id)
                return
        if state == jobs.DEAD:
            log.error(
                "job %s (%s) is dead after %s attempts: %s", job.id, job.kind, job.attempts, error
            )
        elif state is None and not blame:
            log.info("job %s (%s) will be claimed again: %s", job.id, job.kind, error)
        else:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, error)

    def _loop(self, owner: str) -> None:
        awake = threading.Event()
        while not self._stop.is_set():
            self._last_cycle = self.clock.now()
            upcoming = None
            failures = self.outage.failures
            ran = 0
            with self._claims:
                self._claiming += 1
            try:
                ran, claimed, upcoming = self._run_claim(owner)
            except Exception as error:
                self.outage.failed(error, self.clock.now())
                claimed = 0
            finally:
                with self._claims:
                    self._claiming -= 1
                    self._claims_that_ran += 1 if ran else 0
                    self._claims.notify_all()
            # A cycle during which no thread failed: the database takes writes.
            failed = self.outage.failures != failures
            if not failed:
                self.outage.succeeded()
            if self._stop.is_set():
                return
            if claimed >= self.batch:
                self.wake()  # a full batch: more may be due, so another thread helps
            else:
                # Fewer than a batch: nothing more was due at the claim. Jobs due
                # since are found by the time keeper (see _rest) or wake().
                self._rest(awake, upcoming, failed=failed)

    def _rest(
        self, awake: threading.Event, upcoming: Upcoming | None = None, *, failed: bool = False
    ) -> None:
        """Wait for work: until woken, or (one thread) until the next job is due.

        One idle thread keeps time, sleeping until the next due job or lease
        expiry (``upcoming``, as the last claim read them, or read afresh),
        or a job this process queued since for sooner; the others sleep until
        :meth:`wake` or the poll interval (for jobs other processes write), so
        a job coming due wakes one thread. After a ``failed`` cycle every
        thread waits for the poll interval before it tries again, even with
        jobs due: the database is not taking writes.
        """
        with self._idle_lock:
            if self._unclaimed_wakes:
                self._unclaimed_wakes -= 1
                return
            keeping_time = self._timekeeper is None
            if keeping_time:
                self._timekeeper = awake
            awake.clear()
            self._idle.append(awake)
        try:
            if keeping_time:
                until = self.clock.now() + self.poll if failed else self._next_wake(upcoming)
                with self._idle_lock:
                    if self._soonest is not None and self._soonest <= self.clock.now():
                        self._soonest = None  # due already: the next claim takes it
                    if self._soonest is not None:
                        until = min(until, self._soonest)
                    self._deadline = until
            else:
                until = self.clock.now() + self.poll
            if not self._stop.is_set():
                self.clock.wait(awake, until)
        finally:
            with self._idle_lock:
                if awake in self._idle:
                    self._idle.remove(awake)
                if self._timekeeper is awake:
                    self._timekeeper = None
                    self._deadline = _NEVER

    def _writing(self) -> AbstractContextManager[object]:
        """Hold the SQLite writer lock (every SQLite transaction locks the database)."""
        return self._writer if self._writer is not None else nullcontext()

    def _next_wake(self, upcoming: Upcoming | None) -> datetime:
        now = self.clock.now()
        deadline = now + self.poll
        if upcoming is None:
            try:
                with self._writing(), self.database.sessions() as session:
                    upcoming = jobs.next_events(session)
            except Exception:
                log.exception("could not read the next due job")
                return deadline
        due, expiry = upcoming
        if expiry is not None and self._next_release is not None:
            # Expired leases are released at most once per poll interval.
            expiry = max(expiry, self._next_release)
        for candidate in (due, expiry):
            if candidate is not None and candidate < deadline:
                deadline = candidate
        return deadline
