"""Receiving signals for an integration key: one transaction per request, retried when it collides.

:func:`receive` looks the key up, applies the key's rate limit, builds the
signals (a source's parser may refuse the body) and ingests them, all in one
transaction. Conflicts between concurrent writers (a deadlock or a race on a
unique index on PostgreSQL, a busy SQLite) are retried a few times; if they
persist the request fails with :class:`Unavailable` (503), never half-done,
so the sender retries it.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tocsin.alerts import integrations
from tocsin.alerts.definitions import Alerting, Integration, cache_for, key_digest
from tocsin.alerts.ingest import GroupUnavailable, Origin, Result, ingest
from tocsin.alerts.rate_limit import limiter_for
from tocsin.domain.alert_lifecycle import Signal
from tocsin.service import Tocsin
from tocsin.store.db import Database

log = logging.getLogger("tocsin.alerts")

ATTEMPTS = 3
T = TypeVar("T")


class UnknownKey(Exception):
    """No integration of the expected type has this key (or it was revoked)."""


@dataclass
class Throttled(Exception):
    retry_after: int


class InvalidSignal(Exception):
    """The body is well-formed JSON but cannot become a signal; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Unavailable(Exception):
    """The database kept refusing the transaction; the sender should retry."""


_writer_locks: weakref.WeakKeyDictionary[Database, threading.Lock] = weakref.WeakKeyDictionary()
_writer_locks_guard = threading.Lock()


def _writers(database: Database) -> AbstractContextManager[object]:
    """On SQLite, ingest threads queue on a lock instead of polling the database's write lock.

    SQLite admits one writer; a thread that finds the write lock taken sleeps in
    growing steps (its busy handler), so under load most of a request's time
    went to sleeping while the lock was free. Queueing in-process hands the
    lock straight to the next request. PostgreSQL writers run concurrently.
    """
    if database.dialect != "sqlite":
        return nullcontext()
    with _writer_locks_guard:
        lock = _writer_locks.get(database)
        if lock is None:
            lock = _writer_locks[database] = threading.Lock()
        return lock


def in_transaction(tocsin: Tocsin, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction, retrying conflicts with concurrent writers."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with _writers(tocsin.database), tocsin.database.transaction() as session:
                return work(session)
        except (OperationalError, IntegrityError, GroupUnavailable) as error:
            log.warning("ingest attempt %s of %s failed: %s", attempt, ATTEMPTS, error)
            if attempt == ATTEMPTS:
                raise Unavailable(str(error)) from error
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Received:
    integration: Integration
    results: list[Result]


def authorise(
    session: Session, tocsin: Tocsin, key: str, types: Collection[str]
) -> tuple[Alerting, Integration]:
    """The current definitions and the key's integration, if it has one of ``types``.

    A key of an integration the process has not seen yet (made a moment ago
    by another process) makes the definitions be checked again at once.
    Raises :class:`UnknownKey` or, over the key's rate limit, :class:`Throttled`.
    """
    cache = cache_for(tocsin.database)
    alerting = cache.get(session)
    name = integrations.key_owner(session, alerting, key)
    if name is not None and name not in alerting.integrations:
        alerting = cache.get(session, recheck=True)
    integration = alerting.integrations.get(name) if name is not None else None
    if integration is None or integration.type not in types:
        raise UnknownKey()
    wait = limiter_for(tocsin.database).take(
        key_digest(key), integration.config.rate_limit_per_minute, tocsin.clock.now()
    )
    if wait is not None:
        raise Throttled(int(wait))
    return alerting, integration


@dataclass(frozen=True)
class Context:
    """What a request's work has to hand, inside its transaction."""

    session: Session
    alerting: Alerting
    integration: Integration
    now: datetime

    @property
    def origin(self) -> Origin:
        return Origin(self.integration.name, self.integration.service, self.integration.type)


def receive_with(
    tocsin: Tocsin, key: str, types: Collection[str], work: Callable[[Context], T]
) -> T:
    """Authorise ``key`` and run ``work`` in one transaction; committed when this returns."""

    def run(session: Session) -> T:
        alerting, integration = authorise(session, tocsin, key, types)
        return work(Context(session, alerting, integration, tocsin.clock.now()))

    return in_transaction(tocsin, run)


def receive(
    tocsin: Tocsin,
    key: str,
    types: Collection[str],
    build: Callable[[Integration], Sequence[Signal]],
) -> Received:
    """Authorise ``key``, build its signals and ingest them; committed when this returns."""

    def work(context: Context) -> Received:
        signals = build(context.integration)
        results = ingest(context.session, context.alerting, context.origin, signals, context.now)
        return Received(context.integration, results)

    return receive_with(tocsin, key, types, work)
