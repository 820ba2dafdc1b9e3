"""The job engine: outbox, retries with backoff, dead letters, leases, idempotency."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from tocsin.app.service import Tocsin
from tocsin.db.audit import AuditEntry
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import JobContext, LeaseLost, PermanentFailure
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock


@dataclass(frozen=True)
class Record:
    n: int = 0


@dataclass(frozen=True)
class Nothing:
    """The payload of a test job that needs none."""


RECORD = JobKind("test.record", Record)
LATER = JobKind("test.later", Nothing)
BROKEN = JobKind("test.broken", Nothing)
REFUSE = JobKind("test.refuse", Nothing)
UNHANDLED = JobKind("nobody.handles.this", Nothing)
EFFECT = JobKind("test.effect", Nothing)
SIGNAL = JobKind("test.signal", Nothing)
FLAKY = JobKind("test.flaky", Nothing)


def job_row(tocsin: Tocsin, job_id: int) -> Job:
    with tocsin.database.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def only_job_id(tocsin: Tocsin) -> int:
    with tocsin.database.sessions() as session:
        ids = list(session.scalars(select(Job.id)))
    assert len(ids) == 1
    return ids[0]


def test_a_job_runs_once_and_is_done(tocsin: Tocsin, clock: FakeClock) -> None:
    seen: list[dict[str, object]] = []
    tocsin.registry.register(RECORD, lambda ctx, payload: seen.append(asdict(payload)))
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, RECORD, Record(n=1), now=clock.now())

    assert tocsin.engine.run_until_idle() == 1
    assert tocsin.engine.run_until_idle() == 0
    assert seen == [{"n": 1}]
    job = job_row(tocsin, only_job_id(tocsin))
    assert (job.state, job.attempts, job.finished_at) == ("done", 1, clock.now())


def test_rolled_back_change_leaves_no_job(tocsin: Tocsin, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError), tocsin.database.transaction() as session:
        jobs.enqueue(session, RECORD, Record(), now=clock.now())
        raise RuntimeError("the change failed")
    with tocsin.database.sessions() as session:
        assert session.scalars(select(Job)).all() == []


def test_future_job_waits_for_its_time(tocsin: Tocsin, clock: FakeClock) -> None:
    ran: list[int] = []
    tocsin.registry.register(LATER, lambda ctx, _: ran.append(1))
    with tocsin.database.transaction() as session:
        jobs.enqueue(
            session, LATER, Nothing(), now=clock.now(), run_at=clock.now() + timedelta(minutes=5)
        )
    clock.advance(minutes=4, seconds=59)
    assert tocsin.engine.run_until_idle() == 0
    clock.advance(seconds=1)
    assert tocsin.engine.run_until_idle() == 1
    assert ran == [1]


def test_failures_retry_with_growing_backoff_then_go_dead(tocsin: Tocsin, clock: FakeClock) -> None:
    def broken(ctx: JobContext, _: Nothing) -> None:
        raise ConnectionError("provider unreachable")

    tocsin.registry.register(BROKEN, broken)
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, BROKEN, Nothing(), now=clock.now(), max_attempts=4)
    job_id = only_job_id(tocsin)

    delays = []
    for attempt in range(1, 4):
        assert tocsin.engine.run_until_idle() == 1
        job = job_row(tocsin, job_id)
        assert job.state == "pending"
        assert job.attempts == attempt
        assert job.last_error == "ConnectionError: provider unreachable"
        delay = job.run_at - clock.now()
        nominal = 2.0 * 2 ** (attempt - 1)
        assert timedelta(seconds=nominal / 2) <= delay <= timedelta(seconds=nominal)
        delays.append(delay)
        assert tocsin.engine.run_until_idle() == 0  # not due yet
        clock.set(job.run_at)

    assert tocsin.engine.run_until_idle() == 1
    job = job_row(tocsin, job_id)
    assert (job.state, job.attempts) == ("dead", 4)
    assert delays[0] < delays[2]
    clock.advance(hours=10)
    assert tocsin.engine.run_until_idle() == 0


def test_permanent_failure_and_unknown_kind_go_dead_at_once(
    tocsin: Tocsin, clock: FakeClock
) -> None:
    def refuse(ctx: JobContext, _: Nothing) -> None:
        raise PermanentFailure("address rejected")

    tocsin.registry.register(REFUSE, refuse)
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, REFUSE, Nothing(), now=clock.now())
        jobs.enqueue(session, UNHANDLED, Nothing(), now=clock.now())
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        dead = {job.kind: job for job in jobs.list_jobs(session, state="dead").rows}
    assert set(dead) == {"test.refuse", "nobody.handles.this"}
    assert dead["test.refuse"].attempts == 1
    assert "no handler is registered" in (dead["nobody.handles.this"].last_error or "")


def test_idempotency_key_writes_one_job(tocsin: Tocsin, clock: FakeClock) -> None:
    with tocsin.database.transaction() as session:
        assert jobs.enqueue(session, RECORD, Record(), now=clock.now(), idempotency_key="k1")
        assert not jobs.enqueue(session, RECORD, Record(), now=clock.now(), idempotency_key="k1")
    with tocsin.database.transaction() as session:
        assert not jobs.enqueue(session, RECORD, Record(), now=clock.now(), idempotency_key="k1")
    with tocsin.database.sessions() as session:
        assert len(session.scalars(select(Job)).all()) == 1


def test_expired_lease_is_run_again_and_the_late_worker_cannot_finish(
    tocsin: Tocsin, clock: FakeClock
) -> None:
    effects: list[str] = []

    def record(ctx: JobContext, _: Nothing) -> None:
        with ctx.transaction() as session:
            session.add(
                AuditEntry(
                    at=ctx.clock.now(), actor=ctx.owner, action="ran", object_type="test", detail={}
                )
            )
        effects.append(ctx.owner)

    tocsin.registry.register(EFFECT, record)
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, EFFECT, Nothing(), now=clock.now())
    # A worker claims the job and then stalls (as if killed).
    with tocsin.database.transaction() as session:
        stalled = jobs.claim(
            session, owner="stalled", now=clock.now(), lease=tocsin.engine.lease, limit=10
        )
    assert len(stalled) == 1
    assert tocsin.engine.run_until_idle() == 0  # still leased

    clock.advance(tocsin.engine.lease)
    assert tocsin.engine.run_until_idle() == 1
    assert len(effects) == 1

    # The stalled worker wakes up and tries to finish: its work is rolled back.
    late = JobContext(job=stalled[0], database=tocsin.database, clock=clock, owner="stalled")
    with pytest.raises(LeaseLost):
        record(late, Nothing())
    with tocsin.database.sessions() as session:
        runs = session.scalars(select(AuditEntry).where(AuditEntry.action == "ran")).all()
        assert [run.actor for run in runs] == effects
    assert job_row(tocsin, stalled[0].id).state == "done"


def test_engine_thread_reacts_to_the_fake_clock_without_sleeping(
    tocsin: Tocsin, clock: FakeClock
) -> None:
    done = threading.Event()
    tocsin.registry.register(SIGNAL, lambda ctx, _: done.set())
    tocsin.engine.start()
    with tocsin.database.transaction() as session:
        jobs.enqueue(
            session, SIGNAL, Nothing(), now=clock.now(), run_at=clock.now() + timedelta(hours=1)
        )
    assert not done.wait(0.3)
    clock.advance(hours=1)
    assert done.wait(10), "the engine did not run the job when the clock reached it"


def test_engine_is_woken_by_a_commit_of_a_due_job(tocsin: Tocsin, clock: FakeClock) -> None:
    done = threading.Event()
    tocsin.registry.register(SIGNAL, lambda ctx, _: done.set())
    tocsin.engine.start()
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, SIGNAL, Nothing(), now=clock.now())
    assert done.wait(10), "a due job did not wake the engine"


def test_retry_dead_gives_fresh_attempts(tocsin: Tocsin, clock: FakeClock) -> None:
    outcomes = iter([PermanentFailure("down"), None])

    def flaky(ctx: JobContext, _: Nothing) -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    tocsin.registry.register(FLAKY, flaky)
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, FLAKY, Nothing(), now=clock.now())
    tocsin.engine.run_until_idle()
    job_id = only_job_id(tocsin)
    assert job_row(tocsin, job_id).state == "dead"
    with tocsin.database.transaction() as session:
        assert jobs.retry_dead(session, job_id, now=clock.now())
        assert not jobs.retry_dead(session, job_id, now=clock.now())
    tocsin.engine.run_until_idle()
    job = job_row(tocsin, job_id)
    assert (job.state, job.attempts) == ("done", 1)


def test_engine_stops_promptly_while_idle_on_a_fake_clock(tocsin: Tocsin) -> None:
    tocsin.engine.start()
    stopped = threading.Thread(target=tocsin.engine.stop)
    stopped.start()
    stopped.join(5)
    assert not stopped.is_alive(), "stop() hung waiting for an idle worker"
    assert not tocsin.engine.running
