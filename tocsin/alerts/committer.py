"""Group commit for inbound signals: one writer thread, one transaction for many requests.

Under a storm most of a request's cost was the transaction around it
(checking out a connection, ``BEGIN IMMEDIATE``, ``COMMIT``) and threads
queueing for SQLite's single write lock. The committer takes every piece of
work that is waiting when it is free, runs them one after another in a single
transaction and commits once; each caller gets its own result when that
commit has happened, so a 2xx still means "committed".

Inbound requests are :class:`Stageable`: the committer first stages every
request of a batch (authorise, parse, route: reads only), takes all the alert
locks they need in one statement, in order, then applies them. Repeated
alerts' merged bodies and the history events are written together just
before the batch commits (:func:`tocsin.alerts.writer.batching`).

Isolation between the requests of a batch:

- A :class:`~tocsin.domain.refusals.Refusal` (unknown key, throttled, a body
  that cannot become a signal) is raised before the work writes anything, so
  it is handed to its caller and the batch goes on.
- A collision with another process (PostgreSQL's deadlock or serialization
  failure, a lost race on a unique index, an advisory lock that
  :mod:`tocsin.alerts.locking` found busy out of order) rolls the batch back
  and runs it again, whole, taking every lock it needed first, in order.
- A statement that gave up waiting (PostgreSQL's lock timeout or statement
  timeout) runs the batch once more; if it times out again, every request of
  the batch is refused :class:`~tocsin.domain.refusals.Unavailable` at once,
  without waiting out the timeout again for each.
- Any other failure (a bug, a broken connection) rolls the batch back; each
  of its pieces then runs again alone, in its own transaction and with
  retries, so one bad request cannot fail the others.

A connection the database broke (a read-only or full disk, a restart) is
discarded by :mod:`tocsin.db.database`, so the retries run on fresh ones and
ingest works again as soon as the database does. While the database refuses
every attempt, requests are refused :class:`~tocsin.domain.refusals.Unavailable`
(503, ``Retry-After``) and the outage is logged once, as is its end.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tocsin.alerts import locking
from tocsin.alerts.writer import batching
from tocsin.db.database import Database
from tocsin.db.outage import Outage
from tocsin.domain.refusals import Refusal, Unavailable

log = logging.getLogger("tocsin.alerts")

T = TypeVar("T")
#: Most pieces of work in one transaction; bounds how long one commit keeps the others waiting.
MAX_BATCH = 64
#: Attempts of one piece of work alone before it fails with :class:`Unavailable`.
ATTEMPTS = 3
#: Seconds a sender is asked to wait when the database is unavailable.
RETRY_AFTER = 1
UNAVAILABLE = "alerts could not be stored right now; nothing was stored, retry"


class Collision(Exception):
    """Work that collided with concurrent writers and may succeed when run again.

    Not a refusal: the committer retries the work; only when the collisions
    persist is its caller refused :class:`Unavailable`.
    """


RETRIED = (OperationalError, IntegrityError, Collision, locking.OutOfOrder)
#: PostgreSQL's deadlock_detected and serialization_failure.
_COLLISIONS = frozenset({"40P01", "40001"})
#: PostgreSQL's lock_not_available (lock timeout) and query_canceled (statement timeout).
_TIMEOUTS = frozenset({"55P03", "57014"})
#: Attempts of a batch that timed out waiting (each one waits the whole timeout).
_WAITS = 2


class Staged(NamedTuple):
    """Work split in two: the advisory locks applying it takes, and applying it."""

    locks: Sequence[int]
    apply: Callable[[], Any]


class Stageable(ABC):
    """Work the committer runs in two steps, so a batch takes its locks in one statement.

    :meth:`stage` may read and refuse (a :class:`~tocsin.domain.refusals.Refusal`)
    but writes nothing. The committer stages every request of a batch, takes
    all their locks at once, in order (:mod:`tocsin.alerts.locking`), then
    applies them: none of them then waits for a lock out of order, or spends
    a statement trying one. Work alone (a retry) is called instead: staged and
    applied at once.
    """

    @abstractmethod
    def stage(self, session: Session) -> Staged:
        """Read and check what the work needs; the locks to take and the rest of it."""

    @abstractmethod
    def __call__(self, session: Session) -> Any:
        """:meth:`stage` and apply."""


def _staged(work: Callable[[Session], Any], session: Session) -> Staged:
    if isinstance(work, Stageable):
        return work.stage(session)
    return Staged((), partial(work, session))


class _Item:
    """One piece of work, the future its caller waits on, and its outcome once known.

    Outcomes are recorded while the batch runs and handed over when it is done:
    for callers on an event loop, in one ``call_soon_threadsafe`` per loop and
    batch rather than one wake-up (and a chained future) per request.
    """

    __slots__ = ("future", "loop", "ok", "settled", "value", "work")

    def __init__(
        self, work: Callable[[Session], Any], loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.work = work
        self.loop = loop
        self.future: Future[Any] | asyncio.Future[Any] = (
            Future() if loop is None else loop.create_future()
        )
        self.settled = False
        self.ok = False
        self.value: Any = None

    def start(self) -> bool:
        """Whether the work should run: its caller has not given up waiting."""
        if isinstance(self.future, Future):
            return self.future.set_running_or_notify_cancel()
        return not self.future.cancelled()

    def resolve(self, ok: bool, value: Any) -> None:
        """Record the outcome: a result (``ok``) or the exception to raise."""
        self.settled, self.ok, self.value = True, ok, value


def _hand_over(items: list[_Item]) -> None:
    """Give each caller its outcome (on the caller's loop for asyncio futures)."""
    for item in items:
        future = item.future
        if future.done():  # an asyncio caller that was cancelled meanwhile
            continue
        if not item.settled:
            future.set_exception(RuntimeError("ingest work ended without an outcome"))
        elif item.ok:
            future.set_result(item.value)
        else:
            future.set_exception(item.value)


def _deliver(batch: list[_Item]) -> None:
    """Hand the batch's outcomes over: at once to threads, once per event loop to coroutines."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Item]] = {}
    plain: list[_Item] = []
    for item in batch:
        if item.loop is None:
            plain.append(item)
        else:
            by_loop.setdefault(item.loop, []).append(item)
    _hand_over(plain)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_hand_over, items)
        except RuntimeError:  # the loop closed: nobody is waiting any more
            log.debug("event loop closed before %s outcomes were handed over", len(items))


class GroupCommitter:
    """Runs inbound work for one database on one thread, committing in batches."""

    def __init__(self, database: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.database = database
        self.max_batch = max_batch
        self._queue: deque[_Item] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        #: Threads :meth:`close` asked to stop once the queue is empty.
        self._stopping: set[threading.Thread] = set()
        #: Requests answered Unavailable since the last commit.
        self.outage = Outage(log, "alert ingest")

    # -- callers -------------------------------------------------------------

    def submit(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a transaction; returns once its result is committed."""
        future = self._enqueue(_Item(work)).future
        assert isinstance(future, Future)
        result: T = future.result()
        return result

    async def run(self, work: Callable[[Session], T]) -> T:
        """:meth:`submit` for the event loop: waits without holding a thread."""
        future = self._enqueue(_Item(work, asyncio.get_running_loop())).future
        assert isinstance(future, asyncio.Future)
        result: T = await future
        return result

    def close(self) -> None:
        """Finish the queued work and stop the thread; work submitted later starts it again.

        The app's shutdown calls this after the server stopped taking requests;
        an app that is started again (tests do) keeps working.
        """
        with self._ready:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._stopping.add(thread)
            self._ready.notify_all()
        if thread is not None:
            thread.join(10)

    def _enqueue(self, item: _Item) -> _Item:
        with self._ready:
            self._queue.append(item)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="tocsin-ingest-committer", daemon=True
                )
                self._thread.start()
            self._ready.notify_all()
        return item

    # -- the writer thread ---------------------------------------------------

    def _loop(self) -> None:
        me = threading.current_thread()
        while True:
            with self._ready:
                while not self._queue and me not in self._stopping:
                    self._ready.wait()
                if not self._queue:
                    self._stopping.discard(me)
                    return
                count = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(count)]
            try:
                self._commit(batch)
            finally:
                _deliver(batch)

    def _commit(self, batch: list[_Item]) -> None:
        batch = [item for item in batch if item.start()]
        first: set[int] = set()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                outcomes = self._attempt(batch, first)
            except Exception as error:
                if collided(error) and attempt < ATTEMPTS:
                    log.debug("batch attempt %s of %s collided: %s", attempt, ATTEMPTS, error)
                    continue
                if waited(error) and attempt < _WAITS:
                    log.debug("batch attempt %s waited too long: %s", attempt, error)
                    continue
                self._failed(batch, error)
                return
            self.outage.succeeded()
            for item, ok, value in outcomes:
                item.resolve(ok, value)
            return

    def _attempt(self, batch: list[_Item], first: set[int]) -> list[tuple[_Item, bool, Any]]:
        """Run the batch in one transaction; ``first``: locks to take first, and those needed."""
        outcomes: list[tuple[_Item, bool, Any]] = []
        with self.database.transaction() as session, batching(session):
            locks = locking.begin(session, first)
            try:
                staged: list[tuple[_Item, Staged]] = []
                for item in batch:
                    try:
                        staged.append((item, _staged(item.work, session)))
                    except Refusal as refusal:
                        outcomes.append((item, False, refusal))
                locking.take(session, [key for _, each in staged for key in each.locks])
                for item, each in staged:
                    try:
                        outcomes.append((item, True, each.apply()))
                    except Refusal as refusal:
                        outcomes.append((item, False, refusal))
            finally:
                if locks is not None:
                    first.update(locks.needed)
        return outcomes

    def _failed(self, batch: list[_Item], error: Exception) -> None:
        """The batch cannot commit: refuse it if the database is held up, else run each alone."""
        if waited(error):
            self.outage.failed(error)
            for item in batch:
                item.resolve(False, unavailable(error))
            return
        if len(batch) > 1:
            # News, unless the database is known to be refusing every write.
            level = logging.DEBUG if self.outage.current else logging.INFO
            log.log(level, "batch of %s rolled back (%s); running each alone", len(batch), error)
        for item in batch:
            self._alone(item)

    def _alone(self, item: _Item) -> None:
        """Run one piece of work in its own transactions, retrying collisions."""
        first: set[int] = set()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                [(_, ok, value)] = self._attempt([item], first)
            except RETRIED as error:
                # A retry: the caller's outcome (or the outage) is what gets logged.
                log.debug("ingest attempt %s of %s failed: %s", attempt, ATTEMPTS, error)
                if attempt == ATTEMPTS or (waited(error) and attempt >= _WAITS):
                    self.outage.failed(error)
                    item.resolve(False, unavailable(error))
                    return
            except Exception as error:  # handed to the caller, who answers for it
                item.resolve(False, error)
                return
            else:
                self.outage.succeeded()
                item.resolve(ok, value)
                return


def unavailable(error: Exception) -> Unavailable:
    """The refusal of work that could not commit because of ``error``."""
    refused = Unavailable(UNAVAILABLE, retry_after=RETRY_AFTER)
    refused.__cause__ = error
    return refused


def _sqlstate(error: BaseException) -> str | None:
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return code if isinstance(code, str) else None


def collided(error: BaseException) -> bool:
    """Whether ``error`` is a collision with concurrent writers, which running again resolves.

    A :class:`Collision` (a race on a unique index lost too often, a lock
    taken out of order), a unique violation, and PostgreSQL's deadlock and
    serialization failures.
    """
    if isinstance(error, (Collision, IntegrityError, locking.OutOfOrder)):
        return True
    return _sqlstate(error) in _COLLISIONS


def waited(error: BaseException) -> bool:
    """Whether a statement gave up waiting: PostgreSQL's lock timeout or statement timeout.

    Something holds rows or tables for longer than the timeouts allow: the
    work is run again once, then refused :class:`Unavailable`.
    """
    return _sqlstate(error) in _TIMEOUTS
