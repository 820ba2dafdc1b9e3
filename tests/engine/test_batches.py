"""Batched jobs: one transaction per claim, a savepoint per job, follow-ups after the commit.

Every guarantee of single jobs must hold inside a batch: a job's work
commits with its completion exactly once, a failing job or one whose lease
was lost rolls back alone, and a commit that fails leaves every job of the
batch to run again, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tocsin.app.service import Tocsin
from tocsin.db.audit import AuditEntry
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import Batch, JobContext, LeaseLost, batched
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock

EFFECT = "test.effect"
FAILING = "test.failing"
PARENT = "test.parent"
CHILD = "test.child"


@dataclass(frozen=True)
class Step:
    """The payload of every test kind here: a job's place in its queue, or its parent."""

    n: int = 0
    parent: int | None = None


def kind(name: str) -> JobKind[Step]:
    return JobKind(name, Step)


def write_effect(ctx: JobContext, _: Step) -> None:
    with ctx.transaction() as session:
        session.add(
            AuditEntry(
                at=ctx.clock.now(),
                actor=ctx.owner,
                action="effect",
                object_type="job",
                object_key=str(ctx.job.id),
                detail={},
            )
        )


def fail_after_writing(ctx: JobContext, _: Step) -> None:
    with ctx.transaction() as session:
        session.add(
            AuditEntry(at=ctx.clock.now(), actor="x", action="doomed", object_type="job", detail={})
        )
        raise ConnectionError("provider unreachable")


@pytest.fixture
def registered(tocsin: Tocsin) -> Tocsin:
    tocsin.registry.register(kind(EFFECT), batched(write_effect))
    tocsin.registry.register(kind(FAILING), batched(fail_after_writing))
    return tocsin


def queue(tocsin: Tocsin, clock: FakeClock, *kinds: str) -> list[int]:
    with tocsin.database.transaction() as session:
        for n, name in enumerate(kinds):
            jobs.enqueue(session, kind(name), Step(n=n), now=clock.now())
    with tocsin.database.sessions() as session:
        return list(session.scalars(select(Job.id).order_by(Job.id)))


def effects(tocsin: Tocsin, action: str = "effect") -> list[str]:
    with tocsin.database.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry.object_key)
                .where(AuditEntry.action == action)
                .order_by(AuditEntry.object_key)
            )
        )


def states(tocsin: Tocsin) -> dict[int, tuple[str, int]]:
    with tocsin.database.sessions() as session:
        return {job.id: (job.state, job.attempts) for job in session.scalars(select(Job))}


@pytest.fixture
def commits(tocsin: Tocsin) -> Iterator[list[Session]]:
    seen: list[Session] = []

    def count(session: Session) -> None:
        seen.append(session)

    event.listen(Session, "after_commit", count)
    yield seen
    event.remove(Session, "after_commit", count)


def test_a_claim_of_batched_jobs_commits_once_and_each_effect_once(
    registered: Tocsin, clock: FakeClock, commits: list[Session]
) -> None:
    ids = queue(registered, clock, *[EFFECT] * 5)
    commits.clear()
    assert registered.engine.run_until_idle() == 5
    assert effects(registered) == sorted(str(i) for i in ids)
    assert set(states(registered).values()) == {(jobs.DONE, 1)}
    # The claim, five jobs and their completions: one transaction, and one
    # more for the empty claim that finds nothing left.
    assert len(commits) == 2


def test_a_failing_job_rolls_back_alone_and_is_retried(
    registered: Tocsin, clock: FakeClock
) -> None:
    first, failing, last = queue(registered, clock, EFFECT, FAILING, EFFECT)
    registered.engine.run_until_idle()
    assert effects(registered) == sorted([str(first), str(last)])
    assert effects(registered, "doomed") == []
    found = states(registered)
    assert found[first] == found[last] == (jobs.DONE, 1)
    assert found[failing] == (jobs.PENDING, 1)
    with registered.database.sessions() as session:
        job = session.get(Job, failing)
        assert job is not None
        assert job.last_error == "ConnectionError: provider unreachable"
        assert job.run_at > clock.now()


def test_a_job_whose_lease_was_lost_rolls_back_alone_in_its_batch(
    registered: Tocsin, clock: FakeClock
) -> None:
    taken, kept = queue(registered, clock, EFFECT, EFFECT)
    lease = registered.engine.lease
    with registered.database.transaction() as session:
        (stalled,) = jobs.claim(session, owner="stalled", now=clock.now(), lease=lease, limit=1)
    assert stalled.id == taken
    # The stalled worker's lease runs out; another worker runs the job.
    clock.advance(lease)
    with registered.database.transaction() as session:
        jobs.release_expired(session, now=clock.now())
        (other,) = jobs.claim(session, owner="other", now=clock.now(), lease=lease, limit=1)
    database = registered.database
    write_effect(JobContext(job=other, database=database, clock=clock, owner="other"), Step())
    with registered.database.transaction() as session:
        (mine,) = jobs.claim(session, owner="stalled", now=clock.now(), lease=lease, limit=1)
    assert mine.id == kept
    # The stalled worker wakes up with both jobs in one batch.
    batch = Batch(database)
    mine_ctx = JobContext(job=mine, database=database, clock=clock, owner="stalled", batch=batch)
    write_effect(mine_ctx, Step())
    late = JobContext(job=stalled, database=database, clock=clock, owner="stalled", batch=batch)
    with pytest.raises(LeaseLost):
        write_effect(late, Step())
    batch.close()
    assert batch.lost == []
    with registered.database.sessions() as session:
        written = session.execute(select(AuditEntry.object_key, AuditEntry.actor))
        rows = [tuple(row) for row in written]
    assert sorted(rows) == sorted([(str(taken), "other"), (str(kept), "stalled")])
    assert states(registered) == {taken: (jobs.DONE, 2), kept: (jobs.DONE, 1)}


def test_a_batch_whose_commit_fails_runs_every_job_again_once(
    registered: Tocsin, clock: FakeClock
) -> None:
    ids = queue(registered, clock, EFFECT, EFFECT, EFFECT)
    failures: list[int] = []

    def fail_once(session: Session) -> None:
        if not failures:
            failures.append(1)
            raise RuntimeError("disk full")

    event.listen(Session, "before_commit", fail_once)
    try:
        registered.engine.run_until_idle()
    finally:
        event.remove(Session, "before_commit", fail_once)
    assert failures == [1]
    # The claim went with the failed transaction: the jobs were simply claimed again.
    assert effects(registered) == sorted(str(i) for i in ids)
    assert set(states(registered).values()) == {(jobs.DONE, 1)}


def test_a_job_whose_failed_flush_rolls_back_the_batch_is_retried_and_nothing_is_lost(
    registered: Tocsin, clock: FakeClock
) -> None:
    """A flush that fails makes SQLAlchemy roll back the whole transaction, the
    claim included: the other jobs are claimed again and commit once; the
    culprit's attempt counts, so it backs off instead of sinking every batch."""

    def bad_row(ctx: JobContext, _: Step) -> None:
        with ctx.transaction() as session:
            entry = AuditEntry(at=ctx.clock.now(), actor="x", action="bad", object_type="y")
            entry.actor = None  # type: ignore[assignment]  # NOT NULL: the flush fails
            session.add(entry)

    registered.registry.register(kind("test.bad_row"), batched(bad_row))
    first, bad, last = queue(registered, clock, EFFECT, "test.bad_row", EFFECT)
    registered.engine.run_until_idle()
    assert effects(registered) == sorted([str(first), str(last)])
    found = states(registered)
    assert found[first] == found[last] == (jobs.DONE, 1)
    assert found[bad] == (jobs.PENDING, 1)
    clock.advance(timedelta(hours=2))
    registered.engine.run_until_idle()
    assert states(registered)[bad] == (jobs.PENDING, 2)
    assert effects(registered) == sorted([str(first), str(last)])
    with registered.database.sessions() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "bad")) == 0


def test_a_handler_with_transactions_of_its_own_runs_between_batched_jobs(
    registered: Tocsin, clock: FakeClock
) -> None:
    def own_transaction(ctx: JobContext, _: Step) -> None:
        with ctx.database.transaction() as session:
            session.add(
                AuditEntry(
                    at=ctx.clock.now(),
                    actor=ctx.owner,
                    action="own",
                    object_type="job",
                    object_key=str(ctx.job.id),
                    detail={},
                )
            )

    registered.registry.register(kind("test.own"), own_transaction)
    first, own, last = queue(registered, clock, EFFECT, "test.own", EFFECT)
    registered.engine.run_until_idle()
    assert effects(registered) == sorted([str(first), str(last)])
    assert effects(registered, "own") == [str(own)]
    assert set(states(registered).values()) == {(jobs.DONE, 1)}


class Family:
    """A parent job that queues a child as its follow-up, and what the children saw."""

    def __init__(self, tocsin: Tocsin) -> None:
        self.memos: list[object] = []
        self.fail_parent = False
        tocsin.registry.register(kind(PARENT), batched(self.parent))
        tocsin.registry.register(kind(CHILD), batched(self.child))

    def parent(self, ctx: JobContext, _: Step) -> None:
        with ctx.transaction() as session:
            queued = ctx.follow_up(
                session,
                kind(CHILD),
                Step(parent=ctx.job.id),
                idempotency_key=f"child-of-{ctx.job.id}",
                memo=f"worked out by {ctx.job.id}",
            )
            assert queued
            if self.fail_parent:
                raise ConnectionError("the parent failed after queueing")

    def child(self, ctx: JobContext, payload: Step) -> None:
        self.memos.append(ctx.memo)
        write_effect(ctx, payload)


def child_ids(tocsin: Tocsin) -> list[int]:
    with tocsin.database.sessions() as session:
        return list(session.scalars(select(Job.id).where(Job.kind == CHILD)))


def test_a_follow_up_runs_after_its_parent_commits_with_the_memo(
    registered: Tocsin, clock: FakeClock
) -> None:
    family = Family(registered)
    (parent,) = queue(registered, clock, PARENT)
    assert registered.engine.run_until_idle() == 2
    (child,) = child_ids(registered)
    assert family.memos == [f"worked out by {parent}"]
    assert effects(registered) == [str(child)]
    assert set(states(registered).values()) == {(jobs.DONE, 1)}


def test_a_follow_up_whose_worker_died_runs_once_when_its_lease_runs_out(
    registered: Tocsin, clock: FakeClock
) -> None:
    family = Family(registered)
    queue(registered, clock, PARENT)
    # A worker runs the parent and commits, then dies before the follow-up.
    with registered.database.transaction() as session:
        (parent,) = jobs.claim(
            session, owner="doomed", now=clock.now(), lease=registered.engine.lease, limit=1
        )
    batch = Batch(registered.database)
    database = registered.database
    family.parent(
        JobContext(job=parent, database=database, clock=clock, owner="doomed", batch=batch), Step()
    )
    batch.close()
    assert [each.job.kind for each in batch.take_ready()] == [CHILD]
    (child,) = child_ids(registered)
    assert states(registered)[child] == (jobs.RUNNING, 1)
    assert registered.engine.run_until_idle() == 0  # still leased to the dead worker
    clock.advance(registered.engine.lease)
    assert registered.engine.run_until_idle() == 1
    assert family.memos == [None]  # the memo died with the worker: from the database
    assert effects(registered) == [str(child)]
    assert states(registered)[child] == (jobs.DONE, 2)


def test_the_follow_ups_of_a_failed_job_never_exist(registered: Tocsin, clock: FakeClock) -> None:
    family = Family(registered)
    family.fail_parent = True
    (parent,) = queue(registered, clock, PARENT)
    assert registered.engine.run_until_idle() == 1
    assert child_ids(registered) == []
    assert family.memos == []
    assert states(registered)[parent] == (jobs.PENDING, 1)
