"""User reports: the seeds' third detection path ("support tickets and feedback").

A signed-in person reports what they see ("checkout is failing for EU
users"). By default the report becomes an alert, so it is grouped, routed and
paged like any other (reports have ``__source__="user_report"`` for routing
rules); with an incident severity it declares an incident at once
(source ``user_report``, reported by the person).

Every report is its own alert (a fresh dedup key); several reports about one
service within the grouping window share a group and page once.

Anyone signed in may report; only responders and admins may cause a
declaration, whether with ``declare`` or with a severity the routing and
auto-incident rules turn into one. :func:`refusal` says why a viewer's report
that would declare is refused, before anything is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.alerts.configured import Alerting
from tocsin.alerts.ingest import Origin, ingest
from tocsin.auth.roles import allows
from tocsin.domain import routing
from tocsin.domain.alert_lifecycle import Action, Severity, Signal
from tocsin.incidents import declaring
from tocsin.incidents.editing import Actor

DECLARING_NEEDS_RESPONDER = "declaring an incident needs the responder role"
INTEGRATION = "user-reports"
SOURCE_TYPE = "user_report"
#: The service of reports that name none and that no routing rule routes.
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class Report:
    text: str
    reporter: str
    details: str = ""
    service: str | None = None
    severity: Severity = Severity.ERROR
    #: Declare an incident at this severity instead of raising an alert.
    declare: str | None = None


@dataclass(frozen=True)
class Reported:
    alert_id: int | None = None
    group_id: int | None = None
    incident_id: int | None = None
    incident_reference: str | None = None


def report(
    session: Session,
    alerting: Alerting,
    new: Report,
    actor: Actor,
    now: datetime,
) -> Reported:
    """Raise the report as an alert, or declare it as an incident; in the caller's transaction.

    Declaring raises :class:`~tocsin.domain.refusals.Invalid` when the
    incident is refused (an unknown severity, an empty title).
    """
    if new.declare is not None:
        incident = declaring.declare(
            session,
            declaring.NewIncident(
                title=new.text[:200],
                severity=new.declare,
                summary=new.details,
                source="user_report",
                services=[new.service] if new.service else [],
                reported_by=new.reporter,
            ),
            actor,
            now,
        )
        return Reported(incident_id=incident.id, incident_reference=incident.reference)
    signal = Signal(
        action=Action.TRIGGER,
        dedup_key=f"report:{uuid.uuid4().hex}",
        summary=new.text,
        severity=new.severity,
        source=new.reporter,
        labels=_labels(new),
        annotations={"description": new.details} if new.details else {},
        details={"reported_by": new.reporter, "text": new.text, "details": new.details},
    )
    [result] = ingest(session, alerting, _origin(new), [signal], now)
    return Reported(alert_id=result.alert_id, group_id=result.group_id)


def declaration(alerting: Alerting, new: Report) -> str | None:
    """The incident severity ``new`` declares: its ``declare``, or what the rules give its alert.

    The same routing and auto-incident rules as ingestion decide, on the same labels.
    """
    if new.declare is not None:
        return new.declare
    origin = _origin(new)
    match = routing.match_labels(
        _labels(new),
        service=origin.service,
        integration=origin.integration,
        severity=new.severity,
        source=origin.source_type,
    )
    route = routing.route(
        alerting.routing_rules, match, service=origin.service, severity=new.severity
    )
    match["__service__"] = route.service
    return routing.incident_severity(
        alerting.auto_incident_rules,
        match,
        new.severity,
        routed=route.incident_severity,
        default_level=alerting.default_incident_level,
    )


def refusal(alerting: Alerting, new: Report, role: str) -> str | None:
    """Why an account with ``role`` may not make report ``new``, or None when it may."""
    if allows(role, "responder"):
        return None
    if new.declare is not None:
        return DECLARING_NEEDS_RESPONDER
    level = declaration(alerting, new)
    if level is None:
        return None
    return (
        f"{DECLARING_NEEDS_RESPONDER}: a report with severity {new.severity.value} declares "
        f"{level} under the routing and auto-incident rules; report it at a lower severity, "
        "or ask a responder"
    )


def _labels(new: Report) -> dict[str, str]:
    return {"reporter": new.reporter}


def _origin(new: Report) -> Origin:
    return Origin(INTEGRATION, new.service or UNASSIGNED, SOURCE_TYPE)
