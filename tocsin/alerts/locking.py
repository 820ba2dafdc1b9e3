"""One global lock order for the alerts and groups writers touch, so they never deadlock.

On PostgreSQL, two transactions that lock the same rows in opposite orders
deadlock, and each deadlock costs ``deadlock_timeout`` before one of them is
cancelled. Ingest cannot lock rows in one order by itself: a group commit
(:mod:`tocsin.alerts.committer`) runs many requests one after another in one
transaction, each locking an alert and then its group.

So before a writer touches the rows of an alert or a group it takes a
transaction-level advisory lock named by the row's key: ``(service, dedup
key)`` for an alert, ``(service, grouping key)`` for a group (every group
with that key, open or closed). Advisory locks are taken in ascending order:

- a lock above every lock the transaction holds is waited for;
- a lock below one of them is only tried: if another transaction holds it,
  waiting could close a cycle, so a committer batch is rolled back with
  :class:`OutOfOrder` and run again, taking every lock it needed first, in
  order (:class:`Locks` remembers them). Writers outside the committer (a
  person's acknowledgement, a job) take their few locks up front, so this
  does not happen to them; if it does, they wait, and PostgreSQL's deadlock
  detection is the backstop.

Since every row lock is taken under its key's advisory lock, two writers
wait for each other only on advisory locks, and those are waited for in one
order. SQLite has one writer at a time and needs none of this.

Waiting costs a round trip of its own unless the statement that follows
takes the locks itself: ``take(..., defer=True)`` leaves the locks it would
wait for to the caller's next statement, which must be the transaction's next
statement and take :func:`deferred` first, in order (the alert upsert does:
:func:`tocsin.alerts.statements.upsert`). Any other :meth:`Locks.take` waits
for deferred locks first, so none is ever left untaken.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection
from sqlalchemy.orm import Session

_INFO = "tocsin.alerts.locks"
_WAIT = "SELECT count(pg_advisory_xact_lock(key)) FROM unnest(CAST(%s AS bigint[])) AS key"
_TRY = "SELECT pg_try_advisory_xact_lock(%s)"


class OutOfOrder(Exception):
    """A lock below one the transaction holds is busy: run the work again, taking it first.

    A collision for :mod:`~tocsin.alerts.committer`, which does.
    """


def _key(kind: str, service: str, name: str) -> int:
    digest = hashlib.blake2b(f"{kind}\0{service}\0{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def alert_key(service: str, dedup_key: str) -> int:
    """The lock of the alerts with ``dedup_key`` on ``service``."""
    return _key("alert", service, dedup_key)


def group_key(service: str, grouping_key: str) -> int:
    """The lock of the groups with ``grouping_key`` on ``service``."""
    return _key("group", service, grouping_key)


class Locks:
    """The advisory locks one transaction holds, and every one it asked for.

    ``strict``: raise :class:`OutOfOrder` instead of waiting out of order
    (the committer, which runs the work again); otherwise wait.
    """

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        #: Every lock asked for, held or not: what a new attempt takes first.
        self.needed: set[int] = set()
        self._held: set[int] = set()
        self._top: int | None = None
        #: Locks counted as held that the next statement takes (``defer``), in order.
        self.deferred: list[int] = []

    def take(self, connection: Connection, keys: Iterable[int], *, defer: bool = False) -> None:
        """Hold ``keys`` (:func:`alert_key`, :func:`group_key`) until the transaction ends.

        ``defer``: leave the locks to wait for to the next statement (:attr:`deferred`).
        """
        if self.deferred:
            connection.exec_driver_sql(_WAIT, (self.deferred,))
            self.deferred = []
        wanted = sorted(set(keys) - self._held)
        if not wanted:
            return
        self.needed.update(wanted)
        top = self._top
        below = [key for key in wanted if top is not None and key < top]
        if below and self.strict:
            for key in below:
                if not connection.exec_driver_sql(_TRY, (key,)).scalar():
                    raise OutOfOrder("a lock below the ones held is busy; run again in order")
                self._held.add(key)
            wanted = [key for key in wanted if key not in self._held]
        if wanted and defer:
            self.deferred = wanted
        elif wanted:
            connection.exec_driver_sql(_WAIT, (wanted,))
        if wanted:
            self._held.update(wanted)
        self._top = max(self._held)


def begin(session: Session, first: Iterable[int] = ()) -> Locks | None:
    """Start a committer transaction's locks (strict), taking ``first`` at once, in order.

    None on SQLite, where nothing is locked row by row.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    locks = Locks(strict=True)
    session.info[_INFO] = (session.get_transaction(), locks)
    locks.take(session.connection(), first)
    return locks


def take(session: Session, keys: Iterable[int], *, defer: bool = False) -> None:
    """Hold ``keys`` until this transaction ends (a no-op on SQLite).

    ``defer``: the caller's next statement takes the locks to wait for
    (:func:`deferred`); it must be the next statement of the transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    mine: tuple[object, Locks] | None = session.info.get(_INFO)
    if mine is None or mine[0] is not transaction:  # none yet in this transaction
        mine = session.info[_INFO] = (transaction, Locks(strict=False))
    mine[1].take(session.connection(), keys, defer=defer)


def deferred(session: Session) -> list[int]:
    """The locks ``take(..., defer=True)`` left to this statement, ascending; now its own.

    The statement must wait for them, in this order, before it touches a row.
    """
    mine: tuple[object, Locks] | None = session.info.get(_INFO)
    if mine is None or mine[0] is not session.get_transaction():
        return []
    keys, mine[1].deferred = mine[1].deferred, []
    return keys
