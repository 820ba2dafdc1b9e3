"""The group committer: many requests in one transaction, each answered for itself."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.support.event_loops import run_to_completion
from tests.support.faults import Fault, break_connection, faultable_tocsin
from tocsin.alerts.committer import GroupCommitter, _Item
from tocsin.app.service import Tocsin
from tocsin.domain.refusals import Invalid, Refusal, Unavailable
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _insert(key: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        session.add(
            Job(
                kind="test.committer",
                payload={},
                run_at=func.now(),
                attempts=0,
                max_attempts=1,
                state="done",
                idempotency_key=key,
                created_at=func.now(),
                updated_at=func.now(),
            )
        )
        session.flush()
        return key

    return work


def _keys(tocsin: Tocsin) -> set[str | None]:
    with tocsin.database.sessions() as session:
        return set(session.scalars(select(Job.idempotency_key).where(Job.kind == "test.committer")))


class Gate:
    """Holds the committer's thread in its first piece of work until released."""

    def __init__(self, key: str = "gate") -> None:
        self.key = key
        self.entered = threading.Event()
        self.release = threading.Event()

    def work(self, session: Session) -> str:
        self.entered.set()
        assert self.release.wait(10)
        return _insert(self.key)(session)


def _batched(
    tocsin: Tocsin, works: list[Callable[[Session], Any]], gate_key: str = "gate"
) -> list[Any]:
    """Queue ``works`` behind a gate so that they all land in one batch; their outcomes.

    ``gate_key``: the gate's own row, one per call in a test that batches more than once.
    """
    committer = tocsin.committer
    gate = Gate(gate_key)
    outcomes: list[Any] = [""] * len(works)
    first = threading.Thread(target=committer.submit, args=(gate.work,))
    first.start()
    assert gate.entered.wait(10)
    futures = [committer._enqueue(_Item(work)).future for work in works]
    gate.release.set()
    first.join(10)
    for index, future in enumerate(futures):
        try:
            assert isinstance(future, Future)
            outcomes[index] = future.result(10)
        except BaseException as error:  # the outcome under test
            outcomes[index] = error
    return outcomes


def test_work_waiting_together_commits_together_and_each_caller_gets_its_result(
    tocsin: Tocsin,
) -> None:
    outcomes = _batched(tocsin, [_insert(f"k{n}") for n in range(10)])
    assert outcomes == [f"k{n}" for n in range(10)]
    assert _keys(tocsin) == {"gate", *(f"k{n}" for n in range(10))}


def test_a_refusal_is_handed_to_its_caller_and_the_batch_goes_on(tocsin: Tocsin) -> None:
    class Nope(Refusal):
        pass

    def refused(session: Session) -> str:
        raise Nope("unknown key")

    outcomes = _batched(tocsin, [_insert("a"), refused, _insert("b")])
    assert outcomes[0] == "a" and outcomes[2] == "b"
    assert isinstance(outcomes[1], Nope)
    assert _keys(tocsin) == {"gate", "a", "b"}


def test_a_failing_request_rolls_back_only_itself(tocsin: Tocsin) -> None:
    def broken(session: Session) -> str:
        _insert("half-written")(session)
        raise RuntimeError("bug")

    outcomes = _batched(tocsin, [_insert("a"), broken, _insert("b")])
    assert outcomes[0] == "a" and outcomes[2] == "b"
    assert isinstance(outcomes[1], RuntimeError)
    assert _keys(tocsin) == {"gate", "a", "b"}


def test_conflicts_are_retried_then_reported_unavailable(tocsin: Tocsin) -> None:
    attempts = []

    def busy(session: Session) -> str:
        attempts.append(1)
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    with pytest.raises(Unavailable):
        tocsin.committer.submit(busy)
    assert len(attempts) == 4  # once in its batch, then three times alone


def test_a_conflict_that_clears_succeeds_on_retry(tocsin: Tocsin) -> None:
    attempts = []

    def flaky(session: Session) -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return _insert("late")(session)

    assert tocsin.committer.submit(flaky) == "late"
    assert _keys(tocsin) == {"late"}


def test_a_closed_committer_finishes_its_queue_and_starts_again_for_new_work(
    tocsin: Tocsin,
) -> None:
    committer = GroupCommitter(tocsin.database)
    assert committer.submit(lambda session: session.execute(text("SELECT 1")).scalar()) == 1
    committer.close()
    assert committer.submit(_insert("after")) == "after"
    committer.close()
    assert _keys(tocsin) == {"after"}


@pytest.fixture
def down(backend: str, tmp_path: Path) -> Iterator[tuple[Tocsin, Fault]]:
    with faultable_tocsin(backend, tmp_path / "db", FakeClock()) as opened:
        yield opened


@dataclass(frozen=True)
class Nothing:
    """A payload with no fields."""


COMMITTER_JOB = JobKind("test.committer", Nothing)


def _enqueue(key: str) -> Callable[[Session], str]:
    """Work on the hot path's prepared statements (a job, as ingest queues its paging)."""

    def work(session: Session) -> str:
        jobs.enqueue(session, COMMITTER_JOB, Nothing(), now=NOW, idempotency_key=key)
        return key

    return work


def test_a_request_whose_connection_breaks_runs_again_on_a_fresh_one(tocsin: Tocsin) -> None:
    broken: list[bool] = []

    def breaking(session: Session) -> str:
        if not broken:
            broken.append(True)
            break_connection(session)
        return _enqueue("survivor")(session)

    assert tocsin.committer.submit(breaking) == "survivor"
    assert _keys(tocsin) == {"survivor"}


def test_ingest_answers_unavailable_during_an_outage_and_commits_after_it(
    down: tuple[Tocsin, Fault], caplog: pytest.LogCaptureFixture
) -> None:
    tocsin, outage = down
    committer = tocsin.committer
    assert committer.submit(_enqueue("before")) == "before"
    outage.begin()
    for n in range(3):
        with pytest.raises(Unavailable):
            committer.submit(_enqueue(f"during-{n}"))
    outage.end()
    # The connections the outage broke are discarded: the next request commits.
    assert committer.submit(_enqueue("after")) == "after"
    assert _keys(tocsin) == {"before", "after"}
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name == "tocsin.alerts" and r.levelno >= logging.WARNING
    ]
    assert len(logged) == 2, logged
    assert logged[0].startswith("alert ingest cannot commit: ")
    assert logged[1].startswith("alert ingest recovered: it commits again after 3 failed")


class _PostgresError(Exception):
    """A driver error carrying PostgreSQL's SQLSTATE, as psycopg's do."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failing(sqlstate: str, times: int, sessions: list[Session]) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        sessions.append(session)
        if len(sessions) <= times:
            raise OperationalError("SELECT", {}, _PostgresError(sqlstate))
        return _insert(sqlstate)(session)

    return work


def _seen(sessions: list[Session]) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        sessions.append(session)
        return _insert(f"seen{len(sessions)}-{id(sessions)}")(session)

    return work


def test_a_deadlock_runs_the_whole_batch_again_in_one_transaction(tocsin: Tocsin) -> None:
    failing: list[Session] = []
    before: list[Session] = []
    after: list[Session] = []
    outcomes = _batched(tocsin, [_seen(before), _failing("40P01", 1, failing), _seen(after)])
    assert outcomes[1] == "40P01"
    assert not any(isinstance(outcome, BaseException) for outcome in outcomes)
    # The second attempt ran the three pieces together again, not each alone.
    assert before[1] is failing[1] is after[0]
    assert len(before) == 2 and len(failing) == 2 and len(after) == 1


def test_a_lock_timeout_is_retried_once_then_the_batch_is_refused_unavailable(
    tocsin: Tocsin, caplog: pytest.LogCaptureFixture
) -> None:
    failing: list[Session] = []
    other: list[Session] = []
    with caplog.at_level(logging.ERROR, logger="tocsin.alerts"):
        outcomes = _batched(tocsin, [_failing("55P03", 99, failing), _seen(other)])
    assert all(isinstance(outcome, Unavailable) for outcome in outcomes)
    assert len(failing) == 2 and len(other) == 0  # never reached: the batch is not run alone
    assert len(caplog.records) == 1  # the outage, once
    assert tocsin.committer.outage.current is not None


def test_coroutines_waiting_together_each_get_their_own_result_on_their_loop(
    tocsin: Tocsin,
) -> None:
    """Callers on an event loop are handed a batch's outcomes together, each its own."""
    committer = tocsin.committer
    gate = Gate()

    async def callers() -> list[str | BaseException]:
        first = asyncio.ensure_future(committer.run(gate.work))
        await asyncio.to_thread(gate.entered.wait, 10)
        runs = [committer.run(_insert(f"a{n}")) for n in range(8)]
        runs.append(committer.run(_refused))
        waiting = asyncio.gather(*runs, return_exceptions=True)
        await asyncio.sleep(0)  # every run is queued behind the gate
        gate.release.set()
        assert await first == "gate"
        return list(await waiting)

    outcomes = run_to_completion(callers())
    assert outcomes[:8] == [f"a{n}" for n in range(8)]
    assert isinstance(outcomes[8], Invalid)
    assert _keys(tocsin) == {"gate", *(f"a{n}" for n in range(8))}


def _refused(session: Session) -> str:
    raise Invalid("routing_key", "unknown integration key")
