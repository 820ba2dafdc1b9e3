"""Advisory locks in one global order: waited for in ascending order, only tried below."""

from __future__ import annotations

import pytest

from tocsin.alerts import locking
from tocsin.app.service import Tocsin


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


def test_sqlite_takes_no_locks(backend: str, tocsin: Tocsin) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    with tocsin.database.transaction() as session:
        assert locking.begin(session, [1, 2]) is None
        locking.take(session, [3])
