"""One transaction's alert writer, and the values ingest passes between its steps.

:class:`Writer` holds what every step of ingest needs (the session, its
connection for the prepared statements, the configured definitions, the
time and the history events gathered so far); :mod:`tocsin.alerts.triggers`,
:mod:`~tocsin.alerts.groups`, :mod:`~tocsin.alerts.transitions` and
:mod:`~tocsin.alerts.auto_incidents` are functions of it, and
:class:`tocsin.alerts.ingest.Ingest` is the writer with its entry points.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.alerts import history
from tocsin.alerts.configured import Alerting
from tocsin.alerts.statements import Bodies, Events, deferred_bodies, deferring_bodies
from tocsin.domain import routing
from tocsin.domain.alert_lifecycle import Change, Severity
from tocsin.domain.silences import Suppression

#: The actor of what Tocsin does by itself.
SYSTEM = "tocsin"
OPEN = "open"
RESOLVED = "resolved"


@dataclass(frozen=True)
class Origin:
    """Where signals come from: the integration, its service, and its type."""

    integration: str
    service: str
    source_type: str


@dataclass(frozen=True)
class Result:
    """What one signal did."""

    dedup_key: str
    change: Change
    alert_id: int | None
    group_id: int | None = None
    opened_group: bool = False


@dataclass(frozen=True)
class Opening:
    """What a new alert (or one no longer held back) brings to its group."""

    alert_id: int
    service: str
    summary: str
    severity: Severity
    labels: Mapping[str, str]
    match: Mapping[str, str]
    route: routing.Route
    started_at: datetime | None
    runbook_url: str | None
    suppression: Suppression | None


class Writer:
    """Writes alerts, groups and their history within the caller's transaction."""

    def __init__(self, session: Session, alerting: Alerting, now: datetime) -> None:
        self.session = session
        self.alerting = alerting
        self.now = now
        #: Core statements run on the connection itself, skipping the ORM session's layers.
        self.connection = session.connection()
        batch = history.deferred(session)
        bodies = deferred_bodies(session)
        #: Inside a committer batch (:func:`batching`) the batch writes the events and
        #: repeated alerts' bodies; otherwise :meth:`flush` does.
        self.events = batch if batch is not None else Events()
        self.bodies = bodies if bodies is not None else Bodies()
        self._owns_events = batch is None
        self._owns_bodies = bodies is None

    def settle_bodies(self) -> None:
        """Write the pending bodies now: before a statement that reads or writes alert bodies."""
        self.bodies.flush(self.session)

    def flush(self) -> None:
        """Write what was gathered (unless a surrounding batch does)."""
        if self._owns_bodies:
            self.bodies.flush(self.session)
        if self._owns_events:
            self.events.flush(self.session)


@contextmanager
def batching(session: Session) -> Iterator[None]:
    """Gather the history events and repeated alerts' bodies written in this block.

    They are written together when the block ends (the committer's batch,
    just before it commits). Nothing in the block may read them back, except
    through :attr:`Writer.bodies`.
    """
    with history.deferring(session), deferring_bodies(session):
        yield
