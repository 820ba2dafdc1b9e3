"""Incidents: declare, list, change status and severity, roles, notes, checklist, export.

Viewers read, responders act, admins may do everything (and resolve without
being Incident Commander). Every change is one transaction with its timeline
entry; refused changes answer 403, 404, 409 or 422 and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.config import known_names
from tocsin.domain import lifecycle, roles
from tocsin.domain.checklist import progress
from tocsin.domain.lifecycle import Status
from tocsin.domain.timeline import Order, TimelineEntry, ordered
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import Instant, Offset
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import configured as definitions
from tocsin.incidents import export, records, service
from tocsin.incidents.errors import Conflict, IncidentNotFound, InvalidInput, NotAllowed
from tocsin.incidents.schemas import (
    ChangeOut,
    ChecklistChange,
    ChecklistItemOut,
    ChecklistOut,
    DutiesOut,
    ErrorOut,
    Impact,
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    Link,
    NoteCreate,
    Progress,
    RoleAssign,
    RoleHolderOut,
    SeverityChange,
    StatusChange,
    TimelineEntryOut,
    ValidationErrorOut,
)
from tocsin.incidents.tables import Incident, IncidentChecklistItem, IncidentService

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


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the service's refusals into HTTP answers (the transaction has rolled back)."""
    try:
        yield
    except IncidentNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except NotAllowed as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from error
    except Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
    except InvalidInput as error:
        message = str(error).removeprefix(f"{error.field}: ")
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {"loc": ["body", *error.field.split(".")], "msg": message, "type": "value_error"}
            ],
        ) from error


def _actor(principal: Principal, request: Request) -> service.Actor:
    return service.Actor(
        name=principal.name, is_admin=principal.role == "admin", remote_addr=remote_addr(request)
    )


def entry_out(entry: TimelineEntry) -> TimelineEntryOut:
    return TimelineEntryOut(
        sequence=entry.sequence,
        kind=entry.kind.value,
        note_kind=entry.note_kind.value if entry.note_kind else None,
        text=entry.text,
        author=entry.author,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        corrects=entry.corrects,
        details=dict(entry.details),
    )


def incident_out(session: Session, incident: Incident) -> IncidentOut:
    items = [
        records.checklist_item(row)
        for row in records.checklist_rows(session, incident.id)
        if row.role is None
    ]
    done, total = progress(items)
    return IncidentOut(
        id=incident.id,
        reference=incident.reference,
        title=incident.title,
        summary=incident.summary,
        status=incident.status,
        severity=incident.severity,
        drill=incident.drill,
        source=incident.source,
        created_by=incident.created_by,
        impact_started_at=incident.impact_started_at,
        detected_at=incident.detected_at,
        declared_at=incident.declared_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        reopen_count=incident.reopen_count,
        services=records.services(session, incident.id),
        tags=records.tags(session, incident.id),
        impact=Impact(
            users_affected=incident.users_affected,
            revenue_impact=incident.revenue_impact,
            error_budget_consumed=incident.error_budget_consumed,
        ),
        links=[Link.model_validate(link) for link in incident.links],
        custom_fields=incident.custom_fields,
        roles=[
            RoleHolderOut(
                role=row.role,
                user=row.user_name,
                assigned_at=row.assigned_at,
                assigned_by=row.assigned_by,
            )
            for row in records.role_rows(session, incident.id)
        ],
        allowed_transitions=[s.value for s in lifecycle.allowed_targets(Status(incident.status))],
        checklist=Progress(done=done, total=total),
        created_at=incident.created_at,
        updated_at=incident.updated_at,
    )


def _changed(
    session: Session, incident: Incident, entries: list[TimelineEntry | None]
) -> ChangeOut:
    session.flush()
    return ChangeOut(
        incident=incident_out(session, incident),
        entries=[entry_out(entry) for entry in entries if entry is not None],
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
    new = service.NewIncident(
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
    with refusals(), tocsin.database.transaction() as session:
        _check_services(session, body.services)
        incident = service.declare(session, new, _actor(principal, request), tocsin.clock.now())
        return incident_out(session, incident)


def _check_services(session: Session, names: list[str] | None) -> None:
    """422 naming the first service that configuration does not define (once it defines any)."""
    unknown = known_names.undefined_service(session, [name.strip() for name in names or []])
    if unknown is not None:
        index, message = unknown
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", "services", index], "msg": message, "type": "value_error"}],
        )


def _statuses(values: list[str]) -> list[str]:
    try:
        return [lifecycle.parse_status(value).value for value in values]
    except lifecycle.UnknownStatus as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["query", "status"], "msg": str(error), "type": "value_error"}],
        ) from error


def _severities(session: Session, values: list[str]) -> list[str]:
    scale = definitions.scale(session)
    labels = []
    for value in values:
        level = scale.get(value)
        if level is None:
            known = ", ".join(item.level for item in scale)
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[
                    {
                        "loc": ["query", "severity"],
                        "msg": f"unknown severity {value!r}; configured levels: {known}",
                        "type": "value_error",
                    }
                ],
            )
        labels.append(level.level)
    return labels


@router.get(
    "",
    response_model=IncidentPage,
    summary="List incidents, newest detection first",
    responses={401: READ_ERRORS[401]},
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
    tag: Annotated[str | None, Query(max_length=100)] = None,
    drill: Annotated[bool | None, Query(description="Only drills (true) or real (false)")] = None,
    detected_from: Annotated[
        Instant | None, Query(alias="from", description="Detected at or after")
    ] = None,
    detected_to: Annotated[Instant | None, Query(alias="to", description="Detected before")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> IncidentPage:
    statuses = _statuses(status_)
    with tocsin.database.sessions() as session:
        if service_name is not None:
            problem = known_names.unknown_service_filter(
                session, service_name, select(IncidentService.name)
            )
            if problem is not None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    detail=[{"loc": ["query", "service"], "msg": problem, "type": "value_error"}],
                )
        filters = records.Filters(
            statuses=statuses,
            severities=_severities(session, severity),
            service=service_name,
            tag=tag,
            drill=drill,
            detected_from=detected_from,
            detected_to=detected_to,
        )
        found, total = records.search(session, filters, limit=limit, offset=offset)
        return IncidentPage(
            items=[incident_out(session, incident) for incident in found],
            total=total,
            limit=limit,
            offset=offset,
        )


@router.get(
    "/{reference}", response_model=IncidentOut, summary="One incident", responses=READ_ERRORS
)
def get_incident(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> IncidentOut:
    with refusals(), tocsin.database.sessions() as session:
        return incident_out(session, records.find(session, reference))


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
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[{"loc": ["body", name], "msg": "cannot be null", "type": "value_error"}],
            )
    with refusals(), tocsin.database.transaction() as session:
        _check_services(session, body.services)
        incident = records.find(session, reference, lock=True)
        entries = service.update_fields(
            session, incident, changes, _actor(principal, request), tocsin.clock.now()
        )
        return _changed(session, incident, list(entries))


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
    with refusals(), tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = service.change_status(
            session,
            incident,
            body.status,
            body.reason,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        return _changed(session, incident, [entry])


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
    with refusals(), tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = service.change_severity(
            session,
            incident,
            body.severity,
            body.reason,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        return _changed(session, incident, [entry])


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
    with refusals(), tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = service.assign_role(
            session,
            incident,
            body.role,
            body.user,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        return _changed(session, incident, [entry])


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
    with refusals(), tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = service.unassign_role(
            session, incident, role, user, _actor(principal, request), tocsin.clock.now()
        )
        return _changed(session, incident, [entry])


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
    with refusals(), tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        entry = service.add_note(
            session,
            incident,
            body.text,
            body.kind,
            _actor(principal, request),
            tocsin.clock.now(),
            occurred_at=body.occurred_at,
            corrects=body.corrects,
        )
        return entry_out(entry)


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
    with refusals(), tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        return [entry_out(e) for e in ordered(records.timeline(session, incident.id), order)]


def _checklist(session: Session, incident: Incident) -> ChecklistOut:
    rows = records.checklist_rows(session, incident.id)
    by_key: dict[str, IncidentChecklistItem] = {row.key: row for row in rows}

    def item_out(row: IncidentChecklistItem) -> ChecklistItemOut:
        return ChecklistItemOut(
            key=row.key,
            section=row.section,
            text=row.text,
            done=row.done_at is not None,
            done_by=row.done_by,
            done_at=row.done_at,
        )

    response = [row for row in rows if row.role is None]
    done, total = progress([records.checklist_item(row) for row in response])
    duties = roles.duties(records.roster(session, incident.id), service.duty_definitions(rows))
    return ChecklistOut(
        items=[item_out(row) for row in response],
        progress=Progress(done=done, total=total),
        duties=[
            DutiesOut(user=user, items=[item_out(by_key[duty.key]) for duty in items])
            for user, items in duties.items()
        ],
    )


@router.get(
    "/{reference}/checklist",
    response_model=ChecklistOut,
    summary="The response checklist and each role holder's duties",
    responses=READ_ERRORS,
)
def get_checklist(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> ChecklistOut:
    with refusals(), tocsin.database.sessions() as session:
        return _checklist(session, records.find(session, reference))


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
    with refusals(), tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        service.set_checklist_item(
            session,
            incident,
            body.key,
            body.done,
            _actor(principal, request),
            tocsin.clock.now(),
        )
        session.flush()
        return _checklist(session, incident)


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
    with refusals(), tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        if format == "json":
            return JSONResponse(export.to_data(session, incident, order))
        return PlainTextResponse(
            export.to_markdown(session, incident, order), media_type="text/markdown"
        )
