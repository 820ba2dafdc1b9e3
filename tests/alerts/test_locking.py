"""Advisory locks in one global order: waited for in ascending order, only tried below."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from tocsin.alerts import locking
from tocsin.alerts.configured import cache_for
from tocsin.alerts.ingest import ingest
from tocsin.alerts.tables import Alert
from tocsin.alerts.writer import Origin
from tocsin.app.service import Tocsin
from tocsin.domain.alert_lifecycle import Action, Signal
from tocsin.kernel.clock import FakeClock

ORIGIN = Origin("monitoring", "checkout", "events")


@pytest.fixture
def postgres(backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("SQLite takes no advisory locks (one writer at a time)")
    return backend


def test_a_busy_lock_below_the_held_ones_is_not_waited_for(postgres: str, tocsin: Tocsin) -> None:
    low, high = sorted([locking.alert_key("checkout", "a"), locking.group_key("checkout", "g")])
    with tocsin.database.transaction() as other:
        locking.take(other, [low])
        with tocsin.database.transaction() as session:
            locks = locking.begin(session)
            assert locks is not None
            locks.take(session.connection(), [high])
            with pytest.raises(locking.OutOfOrder):
                locks.take(session.connection(), [low])
            # What the next attempt takes first, in order.
            assert locks.needed == {low, high}


def test_a_free_lock_below_the_held_ones_is_taken(postgres: str, tocsin: Tocsin) -> None:
    low, high = sorted([locking.alert_key("checkout", "a"), locking.group_key("checkout", "g")])
    with tocsin.database.transaction() as session:
        locking.begin(session, [high])
        locking.take(session, [low])
        held = session.connection().exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert held.scalar() == 2


def _held(session: Any) -> int:
    held = session.connection().exec_driver_sql(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    count: int = held.scalar()
    return count


def test_a_trigger_takes_its_alert_lock_in_its_upsert(
    postgres: str, tocsin: Tocsin, clock: FakeClock
) -> None:
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    event.listen(tocsin.database.engine, "before_cursor_execute", seen)
    with tocsin.database.transaction() as session:
        alerting = cache_for(tocsin.database).get(session)
        triggers = [Signal(Action.TRIGGER, key, summary="Disk full") for key in ("b", "a")]
        ingest(session, alerting, ORIGIN, triggers, clock.now())
        assert _held(session) == 3  # both alerts' locks and their group's
    event.remove(tocsin.database.engine, "before_cursor_execute", seen)
    waits = [sql for sql in statements if "pg_advisory" in sql]
    # The first upsert (on the driver's cursor, unseen here) took both alerts' locks:
    # the one lock statement of its own is the group's.
    assert waits == [locking._WAIT]


def _trigger(tocsin: Tocsin, clock: FakeClock, *, timeout: bool = False) -> None:
    with tocsin.database.transaction() as session:
        if timeout:
            session.connection().exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
        alerting = cache_for(tocsin.database).get(session)
        trigger = Signal(Action.TRIGGER, "a", summary="Disk full")
        ingest(session, alerting, ORIGIN, [trigger], clock.now())


def test_a_repeat_waits_for_its_alert_lock_before_its_row(
    postgres: str, tocsin: Tocsin, clock: FakeClock
) -> None:
    _trigger(tocsin, clock)
    with tocsin.database.transaction() as other:
        locking.take(other, [locking.alert_key("checkout", "a")])
        other.execute(update(Alert).values(occurrences=Alert.occurrences))  # its row lock
        with pytest.raises(OperationalError, match="lock timeout") as failed:
            _trigger(tocsin, clock, timeout=True)
    # It waited for the advisory lock, not for the row (PostgreSQL names a row it waits for).
    assert "tuple" not in (failed.value.orig.diag.context or "")  # type: ignore[union-attr]
    with tocsin.database.transaction() as session:
        assert session.scalar(select(Alert.occurrences)) == 1


def test_locks_left_to_the_next_statement_are_taken_before_any_other(
    postgres: str, tocsin: Tocsin
) -> None:
    low, high = sorted([locking.alert_key("checkout", "a"), locking.group_key("checkout", "g")])
    with tocsin.database.transaction() as session:
        locks = locking.begin(session)
        assert locks is not None
        locks.take(session.connection(), [low], defer=True)
        assert (locks.deferred, _held(session)) == ([low], 0)
        locks.take(session.connection(), [high])
        assert (locks.deferred, _held(session)) == ([], 2)
        assert locking.deferred(session) == []


def test_sqlite_takes_no_locks(backend: str, tocsin: Tocsin) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    with tocsin.database.transaction() as session:
        assert locking.begin(session, [1, 2]) is None
        locking.take(session, [3])
