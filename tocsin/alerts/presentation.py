"""How the alerts API shows its rows: response bodies, pages and the filters lists share.

Lists are keyset pages, newest first (:mod:`tocsin.db.keyset`): a page reads
only the rows it shows, whatever its depth, and the total is counted up to
:data:`~tocsin.db.keyset.COUNT_CAP` through the index of the filter.

Text that came from senders is served through :mod:`tocsin.domain.untrusted`,
so a row stored with bad data is shown with replacement characters, never
a server error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from sqlalchemy import Select, literal_column, select
from sqlalchemy.orm import Session

from tocsin.alerts.schemas import AlertOut, EventOut, GroupOut
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.config import known_names
from tocsin.db import keyset
from tocsin.domain import untrusted
from tocsin.domain.refusals import Invalid

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[
    int,
    Query(
        ge=0,
        le=1_000_000,
        description="Items to skip (costs what it skips; walk deep lists with cursor)",
    ),
]
ServiceFilter = Annotated[str | None, Query(max_length=200)]
#: Most events (and alerts of a group) one answer shows.
MAX_SHOWN = 1000


def alert_out(row: Alert) -> AlertOut:
    return AlertOut(
        id=row.id,
        service=row.service,
        dedup_key=untrusted.text(row.dedup_key),
        status=row.status,
        severity=row.severity,
        summary=untrusted.text(row.summary),
        integration=row.integration,
        source_type=row.source_type,
        source=untrusted.text(row.source),
        labels=untrusted.served(row.labels),
        annotations=untrusted.served(row.annotations),
        details=untrusted.served(row.details),
        links=untrusted.served(row.links),
        runbook_url=untrusted.optional_text(row.runbook_url),
        occurrences=row.occurrences,
        flapping=row.flapping,
        suppressed_by=row.suppressed_by,
        urgency=row.urgency,
        group_id=row.group_id,
        incident_id=row.incident_id,
        incident_reference=f"INC-{row.incident_id}" if row.incident_id is not None else None,
        started_at=row.started_at,
        triggered_at=row.triggered_at,
        last_event_at=row.last_event_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=untrusted.optional_text(row.acknowledged_by),
        resolved_at=row.resolved_at,
        resolved_by=untrusted.optional_text(row.resolved_by),
    )


def event_out(row: AlertEvent) -> EventOut:
    return EventOut(
        at=row.at,
        kind=row.kind,
        actor=untrusted.text(row.actor),
        text=untrusted.text(row.text),
        alert_id=row.alert_id,
        group_id=row.group_id,
        detail=untrusted.served(row.detail),
    )


def group_out(row: AlertGroup) -> GroupOut:
    return GroupOut(
        id=row.id,
        service=row.service,
        status=row.status,
        title=untrusted.text(row.title),
        rule=untrusted.text(row.rule),
        labels=untrusted.served(row.labels),
        escalation_policy=row.escalation_policy,
        urgency=row.urgency,
        routing_rule=row.routing_rule,
        alert_count=row.alert_count,
        paging=row.paging,
        suppressed_by=row.suppressed_by,
        suppressed_until=row.suppressed_until,
        incident_id=row.incident_id,
        opened_at=row.opened_at,
        last_alert_at=row.last_alert_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=untrusted.optional_text(row.acknowledged_by),
        resolved_at=row.resolved_at,
        outcome=row.outcome,
    )


def events(session: Session, column: Any, value: int) -> list[EventOut]:
    """The history of one alert (``column`` ``AlertEvent.alert_id``) or group, oldest first."""
    rows = session.scalars(
        select(AlertEvent).where(column == value).order_by(AlertEvent.id).limit(MAX_SHOWN)
    )
    return [event_out(row) for row in rows]


def status_filter(
    query: Select[Any],
    column: Any,
    wanted: Literal["open", "triggered", "acknowledged", "resolved"] | None,
    *,
    counting: bool = False,
) -> Select[Any]:
    """Rows in status ``wanted``; ``open`` is every status but resolved.

    "Open" is said one way for pages and another for counts, each matching its
    index. Pages say ``!= 'resolved'`` with the literal, as the partial indexes
    of open alerts do (with a bound parameter the databases would not match the
    query to them): those indexes hold open alerts newest first. Counts
    (``counting``) list the open statuses, which searches the (status, id)
    index instead of scanning it.
    """
    if wanted == "open" and counting:
        return query.where(column.in_(("triggered", "acknowledged")))
    if wanted == "open":
        return query.where(column != literal_column("'resolved'"))
    if wanted is not None:
        return query.where(column == wanted)
    return query


def page(
    session: Session,
    query: Select[Any],
    id_column: Any,
    *,
    counted: Select[Any] | None = None,
    limit: int,
    cursor: str | None,
    offset: int,
) -> tuple[keyset.Page, keyset.Count]:
    """One page of ``query``'s rows, newest (highest ``id_column``) first, and their capped count.

    The count covers the whole filter (``counted``, the same rows said for a
    count; default ``query``), not only what follows the cursor.
    """
    order = keyset.Order((id_column,))
    rows = keyset.page(session, query, order, limit=limit, cursor=cursor, offset=offset)
    return rows, keyset.capped_count(session, query if counted is None else counted)


def check_service_filter(session: Session, service: str | None) -> None:
    """Refuse a filter naming neither a defined service nor one that alerts carry (422)."""
    if service is None:
        return
    problem = known_names.unknown_service_filter(session, service, select(AlertGroup.service))
    if problem is not None:
        raise Invalid("service", problem, where="query")
