"""Triggers: a new alert, or one more occurrence of the open alert with the same key.

The alert is upserted on the partial unique index (service, dedup key) among
open alerts. A repeat merges the trigger's news into the stored body
(:mod:`tocsin.domain.alert_body`) and stops there. A new alert is checked for
flapping, silences and maintenance windows, joins or opens its group
(:mod:`tocsin.alerts.groups`) and, when its service says so, gets its first
auto-resolve check. Every statement here is prepared: this is the hot path.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from tocsin.alerts import auto_resolve, groups, locking, statements, suppression
from tocsin.alerts.configured import ServicePolicy
from tocsin.alerts.writer import SYSTEM, Opening, Origin, Result, Writer
from tocsin.domain import alert_body, routing
from tocsin.domain.alert_body import Body
from tocsin.domain.alert_lifecycle import (
    AlertStatus,
    Change,
    Signal,
    dedup_key,
    summary_text,
)
from tocsin.domain.flapping import FlappingPolicy, is_flapping, lookback
from tocsin.domain.silences import Suppression, SuppressionKind


class _Upserted(NamedTuple):
    id: int
    occurrences: int
    group_id: int | None
    #: The body as stored (for a new alert: as just inserted).
    body: Body


def trigger(
    writer: Writer, origin: Origin, signal: Signal, route: routing.Route, match: dict[str, str]
) -> Result:
    """Store a triggering signal routed to ``route``; ``match`` holds the labels rules match."""
    key = dedup_key(signal.dedup_key) if signal.dedup_key else uuid.uuid4().hex
    summary = summary_text(signal.summary) or key
    row = _upsert(writer, origin, signal, route, key, summary)
    sent = alert_body.sent(summary, signal)
    if row.occurrences > 1:
        stored = writer.bodies.stored(row.id, row.body)
        merged = alert_body.merged(stored, sent)
        changed = merged.changes(stored)
        if changed:
            writer.bodies.set(row.id, merged, changed)
        writer.events.add(
            writer.now,
            "repeated",
            origin.integration,
            f"Triggered again ({row.occurrences} occurrences)",
            alert_id=row.id,
            occurrences=row.occurrences,
            payload=sent.payload(),
        )
        return Result(key, Change.REPEAT, row.id, row.group_id)
    writer.events.add(
        writer.now,
        "triggered",
        origin.integration,
        summary,
        alert_id=row.id,
        severity=signal.severity.value,
        source=origin.source_type,
        payload=sent.payload(),
    )
    policy = writer.alerting.policy(route.service)
    flapping, held = _hold(writer, row.id, key, route.service, match, policy)
    opening = Opening(
        alert_id=row.id,
        service=route.service,
        summary=summary,
        severity=signal.severity,
        labels=signal.labels,
        match=match,
        route=route,
        started_at=signal.started_at,
        runbook_url=signal.runbook_url,
        suppression=held,
    )
    group_id, opened, incident_id = groups.place(writer, opening, key, policy.grouping)
    statements.place(
        writer.connection,
        row.id,
        group_id=group_id,
        incident_id=incident_id,
        flapping=flapping,
        suppressed_by=str(held) if held else None,
    )
    if policy.auto_resolve_after is not None:
        auto_resolve.schedule(
            writer.session,
            row.id,
            quiet=policy.auto_resolve_after,
            at=writer.now + policy.auto_resolve_after,
            now=writer.now,
            first=True,
        )
    return Result(key, Change.OPEN, row.id, group_id, opened)


def _hold(
    writer: Writer,
    alert_id: int,
    key: str,
    service: str,
    match: dict[str, str],
    policy: ServicePolicy,
) -> tuple[bool, Suppression | None]:
    """Whether the new alert is flapping, and what holds its paging back (flapping first)."""
    if _flapping(writer, service, key, alert_id, policy.flapping):
        writer.events.add(
            writer.now,
            "flapping",
            SYSTEM,
            f"Flapping: opened at least {policy.flapping.cycles} times within "
            f"{policy.flapping.window}; it will not page again until it settles",
            alert_id=alert_id,
        )
        return True, Suppression(SuppressionKind.FLAPPING, key, None)
    held = suppression.held(writer, match, service)
    if held is not None:
        writer.events.add(
            writer.now, "suppressed", SYSTEM, f"Paging held back by {held}", alert_id=alert_id
        )
    return False, held


def _upsert(
    writer: Writer, origin: Origin, signal: Signal, route: routing.Route, key: str, summary: str
) -> _Upserted:
    params = {
        "service": route.service,
        "dedup_key": key,
        "status": AlertStatus.TRIGGERED.value,
        "severity": signal.severity.value,
        "summary": summary,
        "integration": origin.integration,
        "source_type": origin.source_type,
        "source": signal.source[:255],
        "labels": dict(signal.labels),
        "annotations": dict(signal.annotations),
        "details": dict(signal.details),
        "links": [dict(link) for link in signal.links],
        "runbook_url": signal.runbook_url,
        "occurrences": 1,
        "flapping": False,
        "urgency": route.urgency.value,
        "started_at": signal.started_at,
        "triggered_at": writer.now,
        "last_event_at": writer.now,
    }
    # The first statement of a request takes the locks ingest left to it.
    row = statements.upsert(writer.connection, params, locking.deferred(writer.session))
    return _Upserted(row[0], row[1], row[2], Body(*row[3:]))


def _flapping(
    writer: Writer, service: str, key: str, alert_id: int, policy: FlappingPolicy
) -> bool:
    earlier = statements.earlier_openings(
        writer.connection,
        service=service,
        dedup_key=key,
        since=lookback(writer.now, policy),
        alert_id=alert_id,
        cycles=policy.cycles,
    )
    return is_flapping(earlier, writer.now, policy)
