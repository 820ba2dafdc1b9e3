"""Incidents declared from alert groups, when the routing and auto-incident rules say so.

A group that pages declares at most one incident: when it opens, or when it
stops being held back. The declaration runs in a savepoint, so an incident
the incidents service refuses (or that fails in the database) leaves the
alert and its group stored, with the reason on the group's history.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import SYSTEM, Opening, Writer
from tocsin.domain import routing
from tocsin.domain.refusals import Refusal
from tocsin.incidents import declaring
from tocsin.incidents.editing import Actor

log = logging.getLogger("tocsin.alerts")

_TITLE_LENGTH = 200


def declare(writer: Writer, group_id: int, opening: Opening) -> int | None:
    """Declare the group's incident if the rules give the opening alert a level; its id."""
    alerting = writer.alerting
    level = routing.incident_severity(
        alerting.auto_incident_rules,
        opening.match,
        opening.severity,
        routed=opening.route.incident_severity,
        default_level=alerting.default_incident_level,
    )
    if level is None:
        return None
    new = _new_incident(writer, group_id, opening, level)
    try:
        with writer.session.begin_nested():
            incident = declaring.declare(writer.session, new, Actor(SYSTEM), writer.now)
    except (Refusal, SQLAlchemyError) as error:
        log.warning("alert group %s: no incident declared: %s", group_id, error)
        writer.events.add(
            writer.now,
            "incident",
            SYSTEM,
            f"No incident declared ({level}): {error}",
            group_id=group_id,
        )
        return None
    writer.session.execute(
        update(AlertGroup)
        .where(AlertGroup.id == group_id)
        .values(incident_id=incident.id, updated_at=writer.now)
    )
    writer.session.execute(
        update(Alert).where(Alert.group_id == group_id).values(incident_id=incident.id)
    )
    writer.events.add(
        writer.now,
        "incident",
        SYSTEM,
        f"Declared {incident.reference} ({level})",
        group_id=group_id,
        incident_id=incident.id,
        severity=level,
    )
    return incident.id


def _new_incident(
    writer: Writer, group_id: int, opening: Opening, level: str
) -> declaring.NewIncident:
    links = []
    if opening.runbook_url and opening.runbook_url.startswith(("http://", "https://")):
        links.append({"kind": "runbook", "url": opening.runbook_url, "title": "Runbook"})
    started = opening.started_at
    return declaring.NewIncident(
        title=opening.summary[:_TITLE_LENGTH],
        severity=level,
        summary=f"Declared from alert group {group_id} on {opening.service}.",
        source="alert",
        detected_at=writer.now,
        impact_started_at=min(started, writer.now) if started else None,
        services=[opening.service],
        links=links,
    )
