"""Incidents: declare, list, change status and severity, roles, notes, checklist, export.

Viewers read, responders act, admins may do everything (and resolve without
being Incident Commander). Every change is one transaction with its timeline
entry; refused changes answer 403, 404, 409 or 422 and change nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.config import known_names
from tocsin.domain import lifecycle
from tocsin.domain.refusals import Invalid
from tocsin.domain.timeline import Order, ordered
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import Cursor, Instant, Offset
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import (
    checklists,
    configured,
    declaring,
    export,
    field_changes,
    notes,
    outputs,
    records,
    role_changes,
    severity_changes,
    status_changes,
)
from tocsin.incidents.editing import Actor
from tocsin.incidents.schemas import (
    ChangeOut,
    ChecklistChange,
    ChecklistOut,
    ErrorOut,
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    NoteCreate,
    RoleAssign,
    SeverityChange,
    StatusChange,
    TimelineEntryOut,
    ValidationErrorOut,
)
from tocsin.incidents.tables import IncidentService

router = APIRouter(prefix="/api/v1/incidents", route_class=CheckedRoute, tags=["incidents"])

Reference = Annotated[
    str,
    Path(
        description="The incident's reference (INC-42) or number (42)",
        examples=["INC-42"],
        max_length=30,
    ),
]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("Not authenticated"),
    404: _error("No such incident"),
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    403: _error("The caller's role does not allow this change"),
    409: _error("The change contradicts the incident's state; nothing was changed"),
    422: {"model": ValidationErrorOut, "description": "A field is invalid; it is named"},
}


def _actor(principal: Principal, request: Request) -> Actor:
    return Actor(
        name=principal.name, is_admin=principal.role == "admin", remote_addr=remote_addr(request)
    )


@router.post(
    "",
    status_code=201,
    response_model=IncidentOut,
    summary="Declare an incident",
    description="Starts in triage. SEV1 and SEV2 (the two most severe configured levels) "
    "also run the formal declaration path.",
    responses={k: v for k, v in WRITE_ERRORS.items() if k != 404},
)
def declare(
    body: IncidentCreate, principal: Responder, tocsin: RuntimeDep, request: Request
) -> IncidentOut:
    new = declaring.NewIncident(
        title=body.title,
        severity=body.severity,
        summary=body.summary,
        source=body.source,
        drill=body.drill,
        detected_at=body.detected_at,
        impact_started_at=body.impact_started_at,
        services=body.services,
        tags=body.tags,
        impact=body.impact.model_dump(exclude_none=True),
        links=[link.model_dump() for link in body.links],
        custom_fields=body.custom_fields,
        reported_by=body.reported_by,
    )
    with tocsin.database.transaction() as session:
        _check_services(session, body.services)
        incident = declaring.declare(session, new, _actor(principal, request), tocsin.clock.now())
        return outputs.incident_out(session, incident)


def _check_services(session: Session, names: list[str] | None) -> None:
    """422 naming the first service that configuration does not define (once it defines any).

    Answered here rather than with :class:`~tocsin.domain.refusals.Invalid`: the
    location ends with the list index as a number, as in FastAPI's own
    validation errors, and an ``Invalid`` names its field in text.
    """
    unknown = known_names.undefined_service(session, [name.strip() for name in names or []])
    if unknown is not None:
        index, message = unknown
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", "services", index], "msg": message, "type": "value_error"}],
        )


def _check_service_filter(session: Session, name: str | None) -> None:
    """422 when ``name`` is neither a defined service nor one an incident affects."""
    if name is None:
        return
    problem = known_names.unknown_service_filter(session, name, select(IncidentService.name))
    if problem is not None:
        raise Invalid("service", problem, where="query")


def _statuses(values: list[str]) -> list[str]:
    try:
        return [lifecycle.parse_status(value).value for value in values]
    except lifecycle.UnknownStatus as error:
        raise Invalid("status", str(error), where="query") from error


def _severities(session: Session, values: list[str]) -> list[str]:
    scale = configured.scale(session)
    labels = []
    for value in values:
        level = scale.get(value)
        if level is None:
            known = ", ".join(item.level for item in scale)
            raise Invalid(
                "severity",
                f"unknown severity {value!r}; configured levels: {known}",
                where="query",
            )
        labels.append(level.level)
    return labels


@router.get(
    "",
    response_model=IncidentPage,
    summary="List incidents, newest detection first",
    description="Pages by cursor: send a page's next_cursor as cursor for the next one. "
    "total counts at most 10,000 incidents (total_exact says whether it is exact). offset "
    "still works but costs what it skips. Each filter alone is served by an index in this "
    "order.",
    responses={
        401: READ_ERRORS[401],
        422: {"model": ValidationErrorOut, "description": "A filter or the cursor is invalid"},
    },
)
def list_incidents(
    _: Viewer,
    tocsin: RuntimeDep,
    status_: Annotated[
        list[str], Query(alias="status", description="Any of these statuses (repeatable)")
    ] = [],  # noqa: B006 (FastAPI copies query defaults)
    severity: Annotated[list[str], Query(description="Any of these levels (repeatable)")] = [],  # noqa: B006
    service_name: Annotated[
        str | None, Query(alias="service", max_length=200, description="Affects this service")
    ] = None,
    team: Annotated[
        str | None, Query(max_length=200, description="Affects a service of this team")
    ] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    drill: Annotated[bool | None, Query(description="Only drills (true) or real (false)")] = None,
    detected_from: Annotated[
        Instant | None, Query(alias="from", description="Detected at or after")
    ] = None,
    detected_to: Annotated[Instant | None, Query(alias="to", description="Detected before")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
    offset: Offset = 0,
) -> IncidentPage:
    statuses = _statuses(status_)
    with tocsin.database.sessions() as session:
        _check_service_filter(session, service_name)
        filters = records.Filters(
            statuses=statuses,
            severities=_severities(session, severity),
            service=service_name,
            any_service=None if team is None else known_names.team_services(session, team),
            tag=tag,
            drill=drill,
            detected_from=detected_from,
            detected_to=detected_to,
        )
        found, count = records.search(
            session,
            filters,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )
        return IncidentPage(
            items=outputs.incidents_out(session, found.rows),
            total=count.total,
            total_exact=count.exact,
            limit=limit,
            offset=offset,
            next_cursor=found.next_cursor,
        )


@router.get(
    "/{reference}", response_model=IncidentOut, summary="One incident", responses=READ_ERRORS
)
def get_incident(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> IncidentOut:
    with tocsin.database.sessions() as session:
        return outputs.incident_out(session, records.find(session, reference))


@router.patch(
    "/{reference}",
    response_model=ChangeOut,
    summary="Change title, summary, impact start, services, impact, links, tags, custom fields",
    responses=WRITE_ERRORS,
)
def update_incident(
    reference: Reference,
    body: IncidentPatch,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> ChangeOut:
    changes = body.model_dump(exclude_unset=True)
    if "impact" in changes:
        changes["impact"] = body.impact.model_dump(exclude_unset=True) if body.impact else {}
    if body.links is not None:
        changes["links"] = [link.model_dump() for link in body.links]
    for name in ("title", "services", "tags", "links", "custom_fields"):
        if name in changes and changes[name] is None:
            raise Invalid(name, "cannot be null")
    with tocsin.database.transaction() as session:
        _check_services(session, body.services)
        incident = records.find(session, reference, lock=True)
        entries = field_changes.update_fields(
            session, incident, changes, _actor(principal, request), tocsin.clock.now()
        )
        return outputs.changed(session, incident, list(entries))


@router.post(
    "/{reference}/status",
    response_model=ChangeOut,
    summary="Move the incident to another status",
    description="triage → responding → mitigated → resolved → closed, plus triage → "
    "mitigated, triage → resolved (dismiss, needs a reason), responding → resolved, "
    "mitigated → responding (mitigation failed, needs a reason) and resolved → responding "
    "(reopen, needs a reason). Other moves answer 409 naming the allowed ones. Resolving "
    "needs the Incident Commander or an admin unless configured otherwise.",
    responses=WRITE_ERRORS,
)
def change_status(
    reference: Reference,
    body: StatusChange,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> ChangeOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = status_changes.change_status(
            session,
            incident,
            body.status,
            body.reason,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        return outputs.changed(session, incident, [entry])


@router.post(
    "/{reference}/severity",
    response_model=ChangeOut,
    summary="Raise or lower the severity, with a reason",
    responses=WRITE_ERRORS,
)
def change_severity(
    reference: Reference,
    body: SeverityChange,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> ChangeOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = severity_changes.change_severity(
            session,
            incident,
            body.severity,
            body.reason,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        return outputs.changed(session, incident, [entry])


@router.post(
    "/{reference}/roles",
    response_model=ChangeOut,
    summary="Assign a role (a lead role is handed over from its holder)",
    description="Assigning a role to its current holder changes nothing and returns no entries.",
    responses=WRITE_ERRORS,
)
def assign_role(
    reference: Reference,
    body: RoleAssign,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> ChangeOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = role_changes.assign_role(
            session,
            incident,
            body.role,
            body.user,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        return outputs.changed(session, incident, [entry])


@router.delete(
    "/{reference}/roles/{role}",
    response_model=ChangeOut,
    summary="Take a role from its holder",
    responses=WRITE_ERRORS,
)
def unassign_role(
    reference: Reference,
    role: Annotated[str, Path(max_length=50, examples=["scribe"])],
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
    user: Annotated[
        str | None,
        Query(max_length=100, description="Required for responders; for a lead role, its holder"),
    ] = None,
) -> ChangeOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = role_changes.unassign_role(
            session, incident, role, user, _actor(principal, request), tocsin.clock.now()
        )
        return outputs.changed(session, incident, [entry])


@router.post(
    "/{reference}/notes",
    status_code=201,
    response_model=TimelineEntryOut,
    summary="Add a note (observation, decision, action) or a correction to the timeline",
    description="Notes may be back-dated with occurred_at. A correction names the entry it "
    "corrects with corrects; the original is never changed.",
    responses=WRITE_ERRORS,
)
def add_note(
    reference: Reference,
    body: NoteCreate,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> TimelineEntryOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = notes.add_note(
            session,
            incident,
            body.text,
            body.kind,
            _actor(principal, request),
            tocsin.clock.now(),
            occurred_at=body.occurred_at,
            corrects=body.corrects,
        )
        return outputs.entry_out(entry)


@router.get(
    "/{reference}/timeline",
    response_model=list[TimelineEntryOut],
    summary="The incident's timeline",
    responses=READ_ERRORS,
)
def get_timeline(
    reference: Reference,
    _: Viewer,
    tocsin: RuntimeDep,
    order: Annotated[
        Order, Query(description="recorded: as written; occurred: when things happened")
    ] = Order.RECORDED,
) -> list[TimelineEntryOut]:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        return [
            outputs.entry_out(e) for e in ordered(records.timeline(session, incident.id), order)
        ]


@router.get(
    "/{reference}/checklist",
    response_model=ChecklistOut,
    summary="The response checklist and each role holder's duties",
    responses=READ_ERRORS,
)
def get_checklist(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> ChecklistOut:
    with tocsin.database.sessions() as session:
        return outputs.checklist(session, records.find(session, reference))


@router.post(
    "/{reference}/checklist",
    response_model=ChecklistOut,
    summary="Tick or untick a checklist item or duty by key",
    responses=WRITE_ERRORS,
)
def change_checklist(
    reference: Reference,
    body: ChecklistChange,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> ChecklistOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        checklists.set_checklist_item(
            session,
            incident,
            body.key,
            body.done,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        session.flush()
        return outputs.checklist(session, incident)


@router.get(
    "/{reference}/export",
    summary="The incident and its timeline as Markdown or JSON",
    responses={
        200: {
            "content": {
                "text/markdown": {"example": "# INC-42: Payment processing is failing\n"},
                "application/json": {"example": {"incident": {}, "order": "recorded"}},
            },
            "description": "The export",
        },
        **READ_ERRORS,
    },
)
def export_incident(
    reference: Reference,
    _: Viewer,
    tocsin: RuntimeDep,
    format: Annotated[Literal["markdown", "json"], Query()] = "markdown",
    order: Annotated[Order, Query()] = Order.RECORDED,
) -> Response:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        if format == "json":
            return JSONResponse(export.to_data(session, incident, order))
        return PlainTextResponse(
            export.to_markdown(session, incident, order), media_type="text/markdown"
        )
