"""Each page's current edition: its snapshot and outputs, rendered once per change.

Thousands of readers poll a status page during an outage, so its outputs are
not read from the database per request. Each process keeps one
:class:`Edition` per page: the snapshot and every output rendered from it so
far. A reader takes the edition as it is when it was checked less than
:data:`REFRESH_SECONDS` ago; otherwise one cheap query (the latest change
times and the row counts of the public tables) tells whether anything
changed, and only then is the snapshot read again. A change committed by
this process drops its editions at once; one committed by another process is
seen within :data:`REFRESH_SECONDS`.

When an edition is missing or due for its check, one request reads the
database and the others of the same page wait for it (or, for a mere check,
take the edition they have): a thousand readers arriving after a change cost
one snapshot, not one each. Each output is rendered once per edition the
same way.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.config.organisation import SERVICE
from tocsin.config.tables import Definition
from tocsin.db.database import Database
from tocsin.kernel.clock import Clock
from tocsin.statuspage import components, freshness
from tocsin.statuspage.audiences import audience
from tocsin.statuspage.config_schema import STATUS_PAGE, STATUS_PAGE_COMPONENT
from tocsin.statuspage.reading import Snapshot, snapshot
from tocsin.statuspage.tables import ComponentStatusChange, PublicIncident, PublicUpdate

REFRESH_SECONDS = 0.5
#: Today's uptime moves while a component is down: editions last this long at most.
MAX_AGE_SECONDS = 300

_ALL: weakref.WeakSet[Editions] = weakref.WeakSet()


def _forget_all() -> None:
    for editions in list(_ALL):
        editions.forget()


freshness.on_change(_forget_all)


def _version(session: Session, now: datetime) -> tuple[Any, ...]:
    kinds = (STATUS_PAGE, STATUS_PAGE_COMPONENT, SERVICE)
    definitions = session.execute(
        select(func.max(Definition.updated_at), func.count()).where(Definition.kind.in_(kinds))
    ).one()
    public = session.execute(
        select(func.max(PublicIncident.updated_at), func.count()).select_from(PublicIncident)
    ).one()
    # The latest ids: every status change and every update adds a row, even within one instant.
    latest = session.execute(
        select(
            select(func.max(ComponentStatusChange.id)).scalar_subquery(),
            select(func.max(PublicUpdate.id)).scalar_subquery(),
        )
    ).one()
    return (*definitions, *public, *latest, int(now.timestamp()) // MAX_AGE_SECONDS)


@dataclass
class Edition:
    version: tuple[Any, ...]
    snapshot: Snapshot
    checked_at: float
    rendered: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _rendering: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def output(self, name: str, base_url: str, render: Callable[[], bytes]) -> bytes:
        """Output ``name`` for links rooted at ``base_url``, rendered on first use (once)."""
        key = (name, base_url)
        found = self.rendered.get(key)
        if found is not None:
            return found
        with self._rendering:
            found = self.rendered.get(key)
            if found is None:
                found = self.rendered[key] = render()
        return found


class Editions:
    """The current edition of each page, for one process."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._lock = threading.Lock()
        self._by_slug: dict[str, Edition] = {}
        #: One reader of the database per page at a time (see the module's docstring).
        self._reading: dict[str, threading.Lock] = {}
        #: Counts :meth:`forget` calls: an edition read across one is checked again at once.
        self._generation = 0
        _ALL.add(self)

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._by_slug.clear()

    def _reader(self, slug: str) -> threading.Lock:
        with self._lock:
            return self._reading.setdefault(slug, threading.Lock())

    def current(self, slug: str) -> Edition:
        """The page's edition; raises NotFound for a page that is not configured."""
        found = self._by_slug.get(slug)
        if found is not None and time.monotonic() - found.checked_at < REFRESH_SECONDS:
            return found
        reader = self._reader(slug)
        # A check while an edition is at hand: whoever is checking already answers for
        # the others, who take the edition they have (at most a check's time older).
        if not reader.acquire(blocking=found is None):
            assert found is not None
            return found
        try:
            found = self._by_slug.get(slug)
            checked = time.monotonic()
            if found is not None and checked - found.checked_at < REFRESH_SECONDS:
                return found
            return self._read(slug, found, checked)
        finally:
            reader.release()

    def _read(self, slug: str, found: Edition | None, checked: float) -> Edition:
        generation = self._generation
        now = self.clock.now()
        with self.database.sessions() as session:
            version = _version(session, now)
            if found is not None and found.version == version:
                found.checked_at = checked
                return found
            settings = components.settings(session)
            edition = Edition(
                version, snapshot(session, audience(settings, slug), settings, now), checked
            )
        with self._lock:
            if generation != self._generation:
                edition.checked_at = float("-inf")  # a change committed meanwhile
            self._by_slug[slug] = edition
        return edition
