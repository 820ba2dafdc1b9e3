"""The ingest path's SQL, built once per dialect with bound parameters.

Building an INSERT ... ON CONFLICT with SQLAlchemy costs more than running it
(each build makes an ``excluded`` alias and a fresh cache key), so the
statements every alert runs are built once here;
:func:`~tocsin.db.prepared.prepare` compiles each once per dialect into a
:class:`~tocsin.db.prepared.Prepared` statement that runs on the driver's
cursor.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from tocsin.alerts.tables import (
    OPEN_ALERT,
    Alert,
    AlertEvent,
    AlertGroup,
    IntegrationKey,
    SilenceRow,
)
from tocsin.db import prepared
from tocsin.db.prepared import binds, prepare

ALERTS: Table = Alert.__table__  # type: ignore[assignment]
EVENTS: Table = AlertEvent.__table__  # type: ignore[assignment]
GROUPS: Table = AlertGroup.__table__  # type: ignore[assignment]
KEYS: Table = IntegrationKey.__table__  # type: ignore[assignment]
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


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


#: What a trigger describes; a repeat merges them (:mod:`tocsin.domain.alert_body`).
BODY_COLUMNS = ("summary", "labels", "annotations", "details", "links", "runbook_url")


@cache
def upsert_alert(dialect: str) -> Executable:
    """Insert an alert, or count one more occurrence of the open alert with its key.

    A repeat leaves the body as stored and returns it (:data:`BODY_COLUMNS`),
    for the caller to merge the trigger's news into with :func:`update_body`.
    """
    statement = insert_for(dialect)(ALERTS).values(binds(ALERTS, ALERT_COLUMNS))
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


@cache
def update_body(columns: tuple[str, ...]) -> Executable:
    """Set some of one alert's :data:`BODY_COLUMNS` (one statement per set, built once)."""
    setting: Executable = (
        update(ALERTS).where(ALERTS.c.id == bindparam("alert")).values(binds(ALERTS, columns))
    )
    return setting


@cache
def insert_group(dialect: str) -> Executable:
    """Open a group unless another one already accepts alerts with the same key."""
    opening: Executable = (
        insert_for(dialect)(GROUPS)
        .values(binds(GROUPS, GROUP_COLUMNS))
        .on_conflict_do_nothing(index_elements=[GROUPS.c.service, GROUPS.c.join_key])
        .returning(GROUPS.c.id)
    )
    return opening


INSERT_EVENTS = EVENTS.insert().values(binds(EVENTS, EVENT_COLUMNS))

FIND_KEY = select(KEYS.c.integration).where(
    KEYS.c.key_digest == bindparam("digest"), KEYS.c.revoked_at.is_(None)
)

JOINABLE_GROUP = (
    select(GROUPS.c.id, GROUPS.c.last_alert_at, GROUPS.c.incident_id, GROUPS.c.paging)
    .where(GROUPS.c.service == bindparam("service"), GROUPS.c.join_key == bindparam("join_key"))
    .with_for_update()
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
