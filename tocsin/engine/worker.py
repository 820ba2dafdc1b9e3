"""The engine loop: claim due jobs, run their handlers, retry or bury failures.

Each process runs a few worker threads. They sleep on the injected clock until
the next job is due, a poll interval passes (to notice jobs other processes
wrote), or something in this process commits a job that is due now.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import traceback
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.engine import jobs
from tocsin.engine.backoff import retry_delay
from tocsin.engine.registry import HandlerRegistry, JobContext, LeaseLost, PermanentFailure
from tocsin.store.db import Database

log = logging.getLogger("tocsin.engine")


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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._last_cycle: datetime | None = None
        self._listening = False

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        if self._workers:
            return
        self._stop.clear()
        event.listen(Session, "after_commit", self._after_commit)
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
        self._wake.set()
        for worker in self._workers:
            worker.join(timeout)
        self._workers.clear()
        if self._listening:
            event.remove(Session, "after_commit", self._after_commit)
            self._listening = False

    @property
    def running(self) -> bool:
        return bool(self._workers) and all(w.is_alive() for w in self._workers)

    @property
    def last_cycle(self) -> datetime | None:
        return self._last_cycle

    def wake(self) -> None:
        self._wake.set()

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(jobs.WAKE_KEY, False):
            self._wake.set()

    # -- work --------------------------------------------------------------

    def run_once(self, owner: str | None = None) -> int:
        """Claim and run one batch of due jobs; returns how many ran."""
        owner = owner or f"{self.owner_prefix}:sync"
        now = self.clock.now()
        with self.database.transaction() as session:
            jobs.release_expired(session, now=now)
            claimed = jobs.claim(session, owner=owner, now=now, lease=self.lease, limit=self.batch)
        for job in claimed:
            self._run(job, owner)
        return len(claimed)

    def run_until_idle(self, max_rounds: int = 10_000) -> int:
        """Run batches until nothing is due at the current clock time (for tests and CLI)."""
        total = 0
        for _ in range(max_rounds):
            ran = self.run_once()
            if ran == 0:
                return total
            total += ran
        raise RuntimeError(f"jobs still due after {max_rounds} rounds")

    def _run(self, job: jobs.ClaimedJob, owner: str) -> None:
        handler = self.registry.handler(job.kind)
        ctx = JobContext(job=job, database=self.database, clock=self.clock, owner=owner)
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
            self._record_failure(job, owner, exc)

    def _record_failure(self, job: jobs.ClaimedJob, owner: str, exc: Exception) -> None:
        now = self.clock.now()
        if isinstance(exc, PermanentFailure):
            job = jobs.ClaimedJob(
                job.id, job.kind, job.payload, job.max_attempts, job.max_attempts, job.run_at
            )
        error = "".join(traceback.format_exception_only(exc)).strip()
        with self.database.transaction() as session:
            state = jobs.fail(
                session,
                job,
                owner=owner,
                now=now,
                error=error,
                retry_at=now + retry_delay(job.attempts, self.rng),
            )
        if state == jobs.DEAD:
            log.error(
                "job %s (%s) is dead after %s attempts: %s", job.id, job.kind, job.attempts, error
            )
        else:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, error)

    def _loop(self, owner: str) -> None:
        while not self._stop.is_set():
            # Clear before looking for work: a wake that arrives while this
            # cycle runs then cuts the following wait short instead of being lost.
            self._wake.clear()
            self._last_cycle = self.clock.now()
            try:
                ran = self.run_once(owner)
            except Exception:
                log.exception("engine cycle failed; retrying after the poll interval")
                ran = 0
            if ran or self._stop.is_set():
                continue
            self.clock.wait(self._wake, self._next_wake())

    def _next_wake(self) -> datetime:
        now = self.clock.now()
        deadline = now + self.poll
        try:
            with self.database.sessions() as session:
                due = jobs.next_due(session)
                expiry = jobs.next_lease_expiry(session)
        except Exception:
            log.exception("could not read the next due job")
            return deadline
        for candidate in (due, expiry):
            if candidate is not None and candidate < deadline:
                deadline = candidate
        return deadline
