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
auto-incident rules turn into one. :func:`check_role` refuses a viewer's
report that would declare (:class:`DeclaringForbidden`, 403) before anything
is written.

``POST /api/v1/reports`` is part of Tocsin's own API (signed in, with the
API's route class and its refusals), not a wire format.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.orm import Session

from tocsin.alerts.configured import Alerting, cache_for
from tocsin.alerts.ingest import ingest
from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.alerts.schemas import SeverityName
from tocsin.alerts.writer import Origin
from tocsin.auth.deps import Viewer, remote_addr
from tocsin.auth.roles import allows
from tocsin.config import known_names
from tocsin.config.fields import ObjectName
from tocsin.domain import routing, untrusted
from tocsin.domain.alert_lifecycle import Action, Severity, Signal
from tocsin.domain.refusals import Forbidden, Invalid
from tocsin.http.checked import CheckedRoute
from tocsin.incidents import declaring
from tocsin.incidents.editing import Actor

DECLARING_NEEDS_RESPONDER = "declaring an incident needs the responder role"
INTEGRATION = "user-reports"
SOURCE_TYPE = "user_report"
#: The service of reports that name none and that no routing rule routes.
UNASSIGNED = "unassigned"


class DeclaringForbidden(Forbidden):
    """The account may not declare an incident, which the report would."""


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


def submit(
    session: Session,
    alerting: Alerting,
    new: Report,
    actor: Actor,
    now: datetime,
) -> Reported:
    """Raise the report as an alert, or declare it as an incident; in the caller's transaction.

    Declaring is refused when the incidents service refuses (an unknown
    severity: :class:`~tocsin.domain.refusals.Invalid`, 422; otherwise
    :class:`~tocsin.domain.refusals.Conflict`, 409).
    """
    if new.declare is not None:
        return _declare(session, new, new.declare, actor, now)
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


def _declare(session: Session, new: Report, severity: str, actor: Actor, now: datetime) -> Reported:
    incident = declaring.NewIncident(
        title=new.text[:200],
        severity=severity,
        summary=new.details,
        source="user_report",
        services=[new.service] if new.service else [],
        reported_by=new.reporter,
    )
    declared = declaring.declare(session, incident, actor, now)
    return Reported(incident_id=declared.id, incident_reference=declared.reference)


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


def check_role(alerting: Alerting, new: Report, role: str) -> None:
    """Refuse a report ``role`` may not make, one that declares (:class:`DeclaringForbidden`)."""
    if allows(role, "responder"):
        return
    if new.declare is not None:
        raise DeclaringForbidden(DECLARING_NEEDS_RESPONDER)
    level = declaration(alerting, new)
    if level is None:
        return
    raise DeclaringForbidden(
        f"{DECLARING_NEEDS_RESPONDER}: a report with severity {new.severity.value} declares "
        f"{level} under the routing and auto-incident rules; report it at a lower severity, "
        "or ask a responder"
    )


def _labels(new: Report) -> dict[str, str]:
    return {"reporter": new.reporter}


def _origin(new: Report) -> Origin:
    return Origin(INTEGRATION, new.service or UNASSIGNED, SOURCE_TYPE)


# --- POST /api/v1/reports -------------------------------------------------------------

#: Text from a person: NUL and lone surrogates become U+FFFD, as in every inbound format.
ReportText = Annotated[str, BeforeValidator(untrusted.cleaned)]


class ReportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "checkout is failing for EU users"}]},
    )

    text: ReportText = Field(min_length=1, max_length=1000)
    details: ReportText = Field(default="", max_length=20_000)
    service: ObjectName | None = None
    severity: SeverityName = "error"
    #: Declare an incident at this severity (e.g. "SEV-2") instead of raising an alert.
    declare: ReportText | None = Field(default=None, min_length=1, max_length=50)


class ReportOut(BaseModel):
    alert_id: int | None
    group_id: int | None
    incident_id: int | None
    incident_reference: str | None


def report(
    body: ReportIn, principal: Viewer, tocsin: AlertsRuntimeDep, request: Request
) -> ReportOut:
    actor = Actor(principal.name, principal.role == "admin", remote_addr(request))
    new = Report(
        text=body.text.strip(),
        reporter=principal.name,
        details=body.details,
        service=body.service,
        severity=Severity(body.severity),
        declare=body.declare,
    )
    with tocsin.database.transaction() as session:
        unknown = known_names.undefined_service(session, [body.service] if body.service else [])
        if unknown is not None:
            raise Invalid("service", unknown[1])
        alerting = cache_for(tocsin.database).get(session)
        check_role(alerting, new, principal.role)
        done = submit(session, alerting, new, actor, tocsin.clock.now())
    return ReportOut(
        alert_id=done.alert_id,
        group_id=done.group_id,
        incident_id=done.incident_id,
        incident_reference=done.incident_reference,
    )


def add_routes(router: APIRouter) -> None:
    """Add the endpoint to the inbound router, as one of the API's own (``CheckedRoute``)."""
    router.add_api_route(
        "/api/v1/reports",
        report,
        methods=["POST"],
        route_class_override=CheckedRoute,
        tags=["alerts"],
        status_code=status.HTTP_201_CREATED,
        response_model=ReportOut,
        summary="Report a problem: raise an alert, or declare an incident",
        responses={
            403: {
                "description": "Declaring an incident (`declare`, or a severity that declares one)"
            },
            422: {"description": "A field is invalid; it is named"},
        },
    )
