"""The paging hot path's shortcuts keep paging's guarantees.

A step sends the pages due at once itself, as follow-ups of its job, instead
of queueing them for another claim; the rate limit is answered by the
database with one time instead of a row per message. Each must page exactly
once, survive a worker dying at the worst moment, and agree with the domain's
rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text

from tests.paging.conftest import configure, people_yaml
from tests.paging.harness import Harness
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.domain.bundling import RateLimit, next_free
from tocsin.domain.escalation import Urgency
from tocsin.domain.escalation_run import RunState
from tocsin.engine import jobs
from tocsin.engine.registry import Batch, JobContext
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.paging import delivery, runs, statements
from tocsin.paging import jobs as paging_jobs
from tocsin.paging import tables as store
from tocsin.paging.tables import DeliveryAttempt, Notification, Page

STEPS_IN_B_ONLY = ["started", "step", "paged", "finished", "notified"]


@pytest.fixture
def harness(
    tocsin: Tocsin, clock: FakeClock, sink: HttpSink, smtp: SmtpSink, tmp_path: Path
) -> Iterator[Harness]:
    configure(tocsin, tmp_path / "config", {"people.yaml": people_yaml(sink)})
    found = Harness(tocsin, clock, sink, smtp)
    found.settle()  # what applying the configuration queued (handoff plans)
    yield found


def delivery_jobs(tocsin: Tocsin) -> list[Job]:
    with tocsin.database.sessions() as session:
        return list(
            session.scalars(
                select(Job).where(Job.kind == paging_jobs.DELIVER.name).order_by(Job.id)
            )
        )


def start(harness: Harness) -> int:
    with harness.tocsin.database.transaction() as session:
        run = runs.start(
            session,
            subject_type="manual",
            subject_key="1",
            title="Database down",
            policy_name="b-only",
            urgency=Urgency.HIGH,
            now=harness.clock.now(),
        )
        return run.id


def test_a_step_sends_its_page_as_a_follow_up_exactly_once(harness: Harness) -> None:
    run_id = harness.start(policy="b-only", service=None)
    assert harness.received() == {"engineer-b": 1}
    (job,) = delivery_jobs(harness.tocsin)
    assert (job.state, job.attempts) == (jobs.DONE, 1)
    with harness.tocsin.database.sessions() as session:
        (notification,) = session.scalars(select(Notification)).all()
        (attempt,) = session.scalars(select(DeliveryAttempt)).all()
    assert notification.state == store.NOTIFY_SENT
    assert notification.sent_at == harness.clock.now()
    assert (attempt.status, attempt.provider) == ("sent", "webhook")
    assert harness.events(run_id) == STEPS_IN_B_ONLY
    # The link in the message works: its token was committed before it was sent.
    assert harness.ack_link(harness.last_message_link("engineer-b")) == 200
    assert harness.run(run_id).state == RunState.ACKNOWLEDGED


def test_a_page_whose_worker_died_before_sending_is_sent_once_after_the_lease(
    harness: Harness,
) -> None:
    tocsin, clock = harness.tocsin, harness.clock
    run_id = start(harness)
    # A worker runs the step and commits, then dies before sending.
    with tocsin.database.transaction() as session:
        (step,) = jobs.claim(
            session, owner="doomed", now=clock.now(), lease=tocsin.engine.lease, limit=1
        )
    assert step.kind == paging_jobs.STEP.name
    batch = Batch(tocsin.database)
    handler = tocsin.registry.handler(step.kind)
    assert handler is not None
    handler(
        JobContext(job=step, database=tocsin.database, clock=clock, owner="doomed", batch=batch)
    )
    batch.close()
    assert [each.job.kind for each in batch.take_ready()] == [paging_jobs.DELIVER.name]
    assert harness.received() == {}
    (job,) = delivery_jobs(tocsin)
    assert (job.state, job.lease_owner) == (jobs.RUNNING, "doomed")
    harness.settle()
    assert harness.received() == {}  # still leased to the dead worker
    harness.advance(seconds=tocsin.engine.lease.total_seconds())
    assert harness.received() == {"engineer-b": 1}
    (job,) = delivery_jobs(tocsin)
    assert (job.state, job.attempts) == (jobs.DONE, 2)
    assert harness.events(run_id) == STEPS_IN_B_ONLY
    # The message sent after the crash carries a fresh link, and it works.
    assert harness.ack_link(harness.last_message_link("engineer-b")) == 200


def test_a_step_that_fails_after_paging_sends_nothing_until_it_succeeds(
    harness: Harness,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the step broke after paging")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runs, "advance", broken)
        run_id = start(harness)
        harness.settle()
    assert harness.received() == {}
    assert delivery_jobs(harness.tocsin) == []
    with harness.tocsin.database.sessions() as session:
        assert session.scalars(select(Page)).all() == []
    harness.advance(seconds=10)  # the step's retry
    assert harness.received() == {"engineer-b": 1}
    assert harness.events(run_id) == STEPS_IN_B_ONLY


def test_a_person_locked_by_another_transaction_is_paged_once_all_the_same(
    harness: Harness, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no row locks: one transaction writes at a time")
    holder = create_engine(harness.tocsin.settings.database_url)
    try:
        with holder.connect() as connection:
            connection.execute(text("SELECT id FROM users WHERE name = 'engineer-b' FOR UPDATE"))
            # The step cannot lock engineer-b: rather than wait, it queues the
            # page as a delivery job, which waits for the lock in its turn.
            start(harness)
            harness.tocsin.engine.run_once()
            (job,) = delivery_jobs(harness.tocsin)
            assert job.state == jobs.PENDING
            assert harness.received() == {}
            connection.rollback()
    finally:
        holder.dispose()
    harness.settle()
    assert harness.received() == {"engineer-b": 1}
    (job,) = delivery_jobs(harness.tocsin)
    assert (job.state, job.attempts) == (jobs.DONE, 1)


NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    offsets=st.lists(st.integers(min_value=-1200, max_value=120), max_size=12),
    count=st.integers(min_value=1, max_value=6),
    window=st.integers(min_value=60, max_value=900),
)
def test_the_rate_limit_read_from_the_database_agrees_with_the_domain(
    harness: Harness, offsets: list[int], count: int, window: int
) -> None:
    """One time from the database (the count-th latest send within the window)
    answers exactly what ``next_free`` answers from every send time."""
    limit = RateLimit(count, timedelta(seconds=window))
    sent = [NOW + timedelta(seconds=offset) for offset in offsets]
    with harness.tocsin.database.sessions() as session:  # rolled back when closed
        run = runs.start(
            session,
            subject_type="manual",
            subject_key="rate",
            title="Rate",
            policy_name="b-only",
            urgency=Urgency.HIGH,
            now=NOW,
        )
        page = Page(
            run_id=run.id,
            user_name="engineer-b",
            step_index=0,
            title="Rate",
            urgency="high",
            state=store.PAGE_OPEN,
            created_at=NOW,
        )
        session.add(page)
        session.flush()
        for at in sent:
            statements.insert_notification(
                session, page.id, "engineer-b", 0, "webhook", at, sent_at=at
            )
        # Other people's and other methods' messages do not count, nor pending ones.
        statements.insert_notification(
            session, page.id, "engineer-a", 0, "webhook", NOW, sent_at=NOW
        )
        statements.insert_notification(session, page.id, "engineer-b", 1, "email", NOW, sent_at=NOW)
        statements.insert_notification(session, page.id, "engineer-b", 0, "webhook", NOW)
        found = delivery._next_free(session, "engineer-b", 0, NOW, limit)
    assert found == next_free(sent, NOW, limit)
