"""The ingest path's SQL, built once per dialect with bound parameters, run by name.

Building an INSERT ... ON CONFLICT with SQLAlchemy costs more than running it
(each build makes an ``excluded`` alias and a fresh cache key), so the
statements every alert runs are built once here;
:func:`~tocsin.db.prepared.prepare` compiles each once per dialect into a
:class:`~tocsin.db.prepared.Prepared` statement that runs on the driver's
cursor. The rest of the capability runs them through the functions at the
end of this module (:func:`upsert`, :func:`open_group`, ...), on the
connection of the session's transaction: this module is the only one that
touches the prepared statements of alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Connection, Table, bindparam, column, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from tocsin.alerts.tables import (
    OPEN_ALERT,
    Alert,
    AlertEvent,
    AlertGroup,
    Heartbeat,
    IntegrationKey,
    SilenceRow,
)
from tocsin.db import prepared
from tocsin.db.prepared import DialectInsert, Pending, PerDialect, Rows, binds, prepare
from tocsin.domain.alert_body import Body

ALERTS: Table = Alert.__table__  # type: ignore[assignment]
EVENTS: Table = AlertEvent.__table__  # type: ignore[assignment]
GROUPS: Table = AlertGroup.__table__  # type: ignore[assignment]
KEYS: Table = IntegrationKey.__table__  # type: ignore[assignment]
HEARTBEATS: Table = Heartbeat.__table__  # type: ignore[assignment]
SILENCES: Table = SilenceRow.__table__  # type: ignore[assignment]

#: Columns a new alert is inserted with (the rest take their defaults or NULL).
ALERT_COLUMNS = (
    "service",
    "dedup_key",
    "status",
    "severity",
    "summary",
    "integration",
    "source_type",
    "source",
    "labels",
    "annotations",
    "details",
    "links",
    "runbook_url",
    "occurrences",
    "flapping",
    "urgency",
    "started_at",
    "triggered_at",
    "last_event_at",
)
EVENT_COLUMNS = ("alert_id", "group_id", "at", "kind", "actor", "text", "detail")
GROUP_COLUMNS = (
    "service",
    "group_key",
    "join_key",
    "status",
    "title",
    "rule",
    "labels",
    "escalation_policy",
    "urgency",
    "routing_rule",
    "alert_count",
    "paging",
    "suppressed_by",
    "suppressed_until",
    "opened_at",
    "last_alert_at",
    "updated_at",
)


#: What a trigger describes; a repeat merges them (:mod:`tocsin.domain.alert_body`).
BODY_COLUMNS = ("summary", "labels", "annotations", "details", "links", "runbook_url")


def _upsert_alert(insert: DialectInsert, *, locking: bool = False) -> Executable:
    """Insert an alert, or count one more occurrence of the open alert with its key.

    A repeat leaves the body as stored and returns it (:data:`BODY_COLUMNS`),
    for the caller to merge the trigger's news into with :func:`update_body`.

    ``locking`` (PostgreSQL): first wait for the advisory locks in ``locks``,
    in order (:mod:`tocsin.alerts.locking`), in the same round trip. The
    values of an ``INSERT`` are computed before it looks for a conflicting
    row, so the subquery in ``occurrences`` (which adds 0) runs before the
    statement reads or locks any row.
    """
    values: dict[str, Any] = binds(ALERTS, ALERT_COLUMNS)
    if locking:
        key = column("key", BigInteger)
        waited = (
            select(0 * func.count(func.pg_advisory_xact_lock(key)))
            .select_from(func.unnest(bindparam("locks", type_=ARRAY(BigInteger))).alias("key"))
            .scalar_subquery()
        )
        values["occurrences"] = values["occurrences"] + waited
    statement = insert(ALERTS).values(values)
    excluded = statement.excluded
    upsert: Executable = statement.on_conflict_do_update(
        index_elements=[ALERTS.c.service, ALERTS.c.dedup_key],
        index_where=OPEN_ALERT,
        set_={
            "occurrences": ALERTS.c.occurrences + 1,
            "last_event_at": excluded.last_event_at,
        },
    ).returning(
        ALERTS.c.id,
        ALERTS.c.occurrences,
        ALERTS.c.group_id,
        *(ALERTS.c[name] for name in BODY_COLUMNS),
    )
    return upsert


UPSERT_ALERT = PerDialect(_upsert_alert)
UPSERT_ALERT_LOCKING = PerDialect(lambda insert: _upsert_alert(insert, locking=True))


@cache
def update_body(columns: tuple[str, ...]) -> Executable:
    """Set some of one alert's :data:`BODY_COLUMNS` (one statement per set, built once)."""
    setting: Executable = (
        update(ALERTS).where(ALERTS.c.id == bindparam("alert")).values(binds(ALERTS, columns))
    )
    return setting


#: Open a group unless another one already accepts alerts with the same key.
INSERT_GROUP = PerDialect(
    lambda insert: (
        insert(GROUPS)
        .values(binds(GROUPS, GROUP_COLUMNS))
        .on_conflict_do_nothing(index_elements=[GROUPS.c.service, GROUPS.c.join_key])
        .returning(GROUPS.c.id)
    )
)
#: Create a heartbeat's row unless it exists (the caller then locks it).
INSERT_HEARTBEAT = PerDialect(
    lambda insert: (
        insert(HEARTBEATS)
        .values(binds(HEARTBEATS, ("integration", "status", "created_at", "updated_at")))
        .on_conflict_do_nothing(index_elements=[HEARTBEATS.c.integration])
    )
)


INSERT_EVENTS = EVENTS.insert().values(binds(EVENTS, EVENT_COLUMNS))

FIND_KEY = select(KEYS.c.integration).where(
    KEYS.c.key_digest == bindparam("digest"), KEYS.c.revoked_at.is_(None)
)

JOINABLE_GROUP = (
    select(GROUPS.c.id, GROUPS.c.last_alert_at, GROUPS.c.incident_id, GROUPS.c.paging)
    .where(GROUPS.c.service == bindparam("service"), GROUPS.c.join_key == bindparam("join_key"))
    .with_for_update(key_share=True)
)

JOIN_GROUP = (
    update(GROUPS)
    .where(GROUPS.c.id == bindparam("group"))
    .values(
        last_alert_at=bindparam("now", type_=GROUPS.c.last_alert_at.type),
        updated_at=bindparam("now", type_=GROUPS.c.updated_at.type),
        alert_count=GROUPS.c.alert_count + 1,
    )
)

#: A group handed to paging: no longer held back by a silence.
START_PAGING = (
    update(GROUPS)
    .where(GROUPS.c.id == bindparam("group_id"))
    .values(
        paging=True,
        suppressed_by=None,
        suppressed_until=None,
        updated_at=bindparam("now", type_=GROUPS.c.updated_at.type),
    )
)

PLACE_ALERT = (
    update(ALERTS)
    .where(ALERTS.c.id == bindparam("alert"))
    .values(
        group_id=bindparam("group_id", type_=ALERTS.c.group_id.type),
        incident_id=bindparam("incident_id", type_=ALERTS.c.incident_id.type),
        flapping=bindparam("flapping", type_=ALERTS.c.flapping.type),
        suppressed_by=bindparam("suppressed_by", type_=ALERTS.c.suppressed_by.type),
    )
)

EARLIER_OPENINGS = (
    select(ALERTS.c.triggered_at)
    .where(
        ALERTS.c.service == bindparam("service"),
        ALERTS.c.dedup_key == bindparam("dedup_key"),
        ALERTS.c.triggered_at > bindparam("since", type_=ALERTS.c.triggered_at.type),
        ALERTS.c.id != bindparam("alert"),
    )
    .order_by(ALERTS.c.triggered_at.desc())
    .limit(bindparam("cycles"))
)

UNEXPIRED_SILENCES = select(
    SILENCES.c.id, SILENCES.c.matchers, SILENCES.c.starts_at, SILENCES.c.ends_at
).where(SILENCES.c.ends_at > bindparam("now", type_=SILENCES.c.ends_at.type))


# -- What paging reads of a group it escalates (see tocsin.alerts.handover) --------------------

_OPENED_GROUP = select(
    GROUPS.c.id,
    GROUPS.c.service,
    GROUPS.c.title,
    GROUPS.c.escalation_policy,
    GROUPS.c.urgency,
    GROUPS.c.incident_id,
    GROUPS.c.opened_at,
).where(GROUPS.c.id == bindparam("group_id"))
_GROUP_STATE = select(
    GROUPS.c.resolved_at, GROUPS.c.acknowledged_at, GROUPS.c.acknowledged_by
).where(GROUPS.c.id == bindparam("group_id"))


def opened_group(session: Session, group_id: int) -> tuple[Any, ...] | None:
    """The group's id, service, title, escalation policy, urgency, incident and opening time."""
    connection = prepared.reading(session)
    return prepare(connection, _OPENED_GROUP).first(connection, {"group_id": group_id})


def group_state(session: Session, group_id: int) -> tuple[Any, ...] | None:
    """The group's (resolved at, acknowledged at, acknowledged by)."""
    connection = prepared.reading(session)
    return prepare(connection, _GROUP_STATE).first(connection, {"group_id": group_id})


# --- running them ------------------------------------------------------------------


def upsert(
    connection: Connection, values: Mapping[str, Any], locks: list[int] | None = None
) -> tuple[Any, ...]:
    """Insert an alert (``values``: :data:`ALERT_COLUMNS`) or repeat the open one.

    ``locks`` (PostgreSQL): advisory locks to wait for first, ascending
    (:func:`tocsin.alerts.locking.deferred`). Returns its id, occurrences,
    group id and stored body (:data:`BODY_COLUMNS`).
    """
    if locks:
        statement, values = UPSERT_ALERT_LOCKING, {**values, "locks": locks}
    else:
        statement = UPSERT_ALERT
    row = prepare(connection, statement).first(connection, values)
    assert row is not None, "an upsert always returns its row"
    return row


def place(
    connection: Connection,
    alert_id: int,
    *,
    group_id: int,
    incident_id: int | None,
    flapping: bool,
    suppressed_by: str | None,
) -> None:
    """Record a new alert's group, incident and hold."""
    prepare(connection, PLACE_ALERT).run(
        connection,
        {
            "alert": alert_id,
            "group_id": group_id,
            "incident_id": incident_id,
            "flapping": flapping,
            "suppressed_by": suppressed_by,
        },
    )


def earlier_openings(
    connection: Connection,
    *,
    service: str,
    dedup_key: str,
    since: datetime,
    alert_id: int,
    cycles: int,
) -> list[datetime]:
    """When other alerts with this key opened since ``since``, newest first (at most ``cycles``)."""
    rows = prepare(connection, EARLIER_OPENINGS).all(
        connection,
        {
            "service": service,
            "dedup_key": dedup_key,
            "since": since,
            "alert": alert_id,
            "cycles": cycles,
        },
    )
    return [row[0] for row in rows]


def joinable_group(
    connection: Connection, service: str, join_key: str
) -> tuple[int, datetime, int | None, bool] | None:
    """The group accepting ``join_key`` on ``service``, locked: id, last alert, incident, paging."""
    found = prepare(connection, JOINABLE_GROUP).first(
        connection, {"service": service, "join_key": join_key}
    )
    return None if found is None else (found[0], found[1], found[2], found[3])


def open_group(connection: Connection, values: Mapping[str, Any]) -> int | None:
    """Open a group (``values``: :data:`GROUP_COLUMNS`); None if one accepts its key already."""
    row = prepare(connection, INSERT_GROUP).first(connection, values)
    return None if row is None else int(row[0])


def join_group(connection: Connection, group_id: int, now: datetime) -> None:
    """Count one more alert in the group."""
    prepare(connection, JOIN_GROUP).run(connection, {"group": group_id, "now": now})


def start_paging(connection: Connection, group_id: int, now: datetime) -> None:
    """Mark the group as handed to paging, no longer held back."""
    prepare(connection, START_PAGING).run(connection, {"group_id": group_id, "now": now})


def unexpired_silences(
    connection: Connection, now: datetime
) -> list[tuple[int, list[str], datetime, datetime]]:
    """Every silence not ended at ``now``: id, matchers, start and end."""
    rows = prepare(connection, UNEXPIRED_SILENCES).all(connection, {"now": now})
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def key_owner(connection: Connection, digest: str) -> str | None:
    """The integration whose unrevoked generated key has this digest."""
    row = prepare(connection, FIND_KEY).first(connection, {"digest": digest})
    return None if row is None else str(row[0])


# --- history events, gathered and inserted together (see tocsin.alerts.history) -----------

_MAX_TEXT = 2000


class Events(Rows):
    """Events gathered while handling one request, inserted together with :meth:`flush`."""

    statement = INSERT_EVENTS

    def add(
        self,
        at: datetime,
        kind: str,
        actor: str,
        text: str,
        *,
        alert_id: int | None = None,
        group_id: int | None = None,
        **detail: Any,
    ) -> None:
        self.rows.append(
            {
                "alert_id": alert_id,
                "group_id": group_id,
                "at": at,
                "kind": kind,
                "actor": actor[:100],
                "text": text[:_MAX_TEXT],
                "detail": detail,
            }
        )


class Bodies(Pending):
    """Merged bodies of repeated alerts, written together with :meth:`flush`.

    A storm is mostly repeats whose details change (a metric's latest value),
    and each repeat's body update was a statement of its own. Inside a
    committer batch they are kept here and written by one ``executemany``
    (pipelined on PostgreSQL) just before the batch commits; a second repeat
    of the same alert in the batch merges into the pending body
    (:meth:`stored`), so the row is written once, with every change.
    """

    def __init__(self) -> None:
        self._pending: dict[int, tuple[Body, set[str]]] = {}

    def stored(self, alert_id: int, body: Body) -> Body:
        """Alert ``alert_id``'s body: the one pending here, else ``body`` (as read)."""
        pending = self._pending.get(alert_id)
        return body if pending is None else pending[0]

    def set(self, alert_id: int, body: Body, changed: Iterable[str]) -> None:
        """Alert ``alert_id``'s body is now ``body``; the columns in ``changed`` differ."""
        pending = self._pending.get(alert_id)
        columns = set(changed) if pending is None else pending[1] | set(changed)
        self._pending[alert_id] = (body, columns)

    def flush(self, session: Session) -> None:
        if not self._pending:
            return
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for alert_id, (body, columns) in self._pending.items():
            names = tuple(name for name in BODY_COLUMNS if name in columns)
            by_columns.setdefault(names, []).append({"alert": alert_id, **body.values(names)})
        self._pending = {}
        connection = session.connection()
        for names, rows in by_columns.items():
            prepare(connection, update_body(names)).run_many(connection, rows)


def deferred_bodies(session: Session) -> Bodies | None:
    """The bodies a surrounding :func:`deferring_bodies` block will write, if there is one."""
    return prepared.deferred(session, Bodies)


def deferring_bodies(session: Session) -> AbstractContextManager[Bodies]:
    """Gather repeated alerts' merged bodies in this block; write them at its end."""
    return prepared.deferring(session, Bodies)


def deferred_events(session: Session) -> Events | None:
    """The events a surrounding :func:`deferring_events` block will insert, if there is one."""
    return prepared.deferred(session, Events)


def deferring_events(session: Session) -> AbstractContextManager[Events]:
    """Gather the events written in this block; insert them in one statement at its end."""
    return prepared.deferring(session, Events)


def create_heartbeat(session: Session, integration: str, status: str, now: datetime) -> None:
    """Create heartbeat ``integration``'s row with ``status`` unless it exists.

    Through the session, not prepared on the cursor: the caller goes on with
    the row as an ORM object.
    """
    session.execute(
        INSERT_HEARTBEAT.statement(session.get_bind().dialect),
        {"integration": integration, "status": status, "created_at": now, "updated_at": now},
    )
