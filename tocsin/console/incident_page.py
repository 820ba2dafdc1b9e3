"""One incident's page: its state, roles, checklist and live timeline, and the forms that run it.

The part below the header (facts, roles, checklist, linked alerts and pages,
the timeline) is re-fetched whenever the incident changes, for everyone
watching (:data:`tocsin.console.live`); the forms stay put, so nothing typed is
lost. Every change calls the function the API's route calls, with the same
actor, in one transaction with its timeline entry.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from tocsin.alerts.tables import AlertGroup
from tocsin.config import known_names
from tocsin.console import live
from tocsin.console.fields import local_instant
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.domain.roles import Role
from tocsin.domain.timeline import Order, ordered
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import (
    checklists,
    configured,
    notes,
    outputs,
    records,
    role_changes,
    severity_changes,
    status_changes,
)
from tocsin.incidents.editing import Actor
from tocsin.incidents.schemas import (
    ChecklistItemOut,
    NoteCreate,
    RoleAssign,
    SeverityChange,
    StatusChange,
)
from tocsin.incidents.tables import Incident, TimelineRow
from tocsin.paging.tables import EscalationRun, Page
from tocsin.postmortems.tables import Postmortem
from tocsin.statuspage import cadence, publishing

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Reference = Annotated[str, Path(max_length=30)]


def _actor(viewer: Viewer) -> Actor:
    return Actor(name=viewer.name, is_admin=viewer.is_admin, remote_addr=None)


def topic(incident_id: int) -> live.Topic:
    """One incident: its newest timeline entry and its last change."""

    def version(session: Session) -> Hashable:
        newest = session.scalar(
            select(func.max(TimelineRow.sequence)).where(TimelineRow.incident_id == incident_id)
        )
        changed = session.scalar(select(Incident.updated_at).where(Incident.id == incident_id))
        return (newest, changed)

    return live.Topic(f"incident:{incident_id}", version)


def _body(session: Session, incident: Incident) -> dict[str, Any]:
    """What the page's live body shows beside the incident (the header needs only that)."""
    groups = list(
        session.scalars(
            select(AlertGroup).where(AlertGroup.incident_id == incident.id).order_by(AlertGroup.id)
        )
    )
    pages = list(
        session.scalars(
            select(Page)
            .join(EscalationRun, EscalationRun.id == Page.run_id)
            .where(EscalationRun.incident_id == incident.id)
            .order_by(Page.id)
        )
    )
    entries = [
        outputs.entry_out(entry)
        for entry in ordered(records.timeline(session, incident.id), Order.RECORDED)
    ]
    corrected = {entry.corrects for entry in entries if entry.corrects is not None}
    checklist = outputs.checklist(session, incident)
    sections: dict[str, list[ChecklistItemOut]] = {}
    for item in checklist.items:  # in the configured order
        sections.setdefault(item.section or "Checklist", []).append(item)
    return {
        "checklist": checklist,
        "checklist_sections": list(sections.items()),
        "entries": list(reversed(entries)),
        "corrected": corrected,
        "groups": groups,
        "pages": pages,
        "role_definitions": configured.role_definitions(session),
    }


@router.get("/incidents/{reference}", response_class=HTMLResponse)
def incident(
    request: Request, viewer: SignedIn, tocsin: RuntimeDep, reference: Reference
) -> Response:
    with tocsin.database.sessions() as session:
        found = records.find(session, reference)
        context = _body(session, found)
        public = publishing.for_incident(session, found.id)
        context.update(
            {
                "incident": outputs.incident_out(session, found),
                "public": public,
                "update_overdue": cadence.overdue(session, public, tocsin.clock.now()),
                "now": tocsin.clock.now(),
                "levels": configured.scale(session),
                "roles": [role.value for role in Role],
                "people": known_names.users(session),
                "postmortem": session.scalar(
                    select(Postmortem).where(Postmortem.incident_id == found.id)
                ),
            }
        )
    return page(request, "incidents/incident.html", viewer, context)


@router.get("/incidents/{reference}/state", response_class=HTMLResponse)
def incident_state(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    reference: Reference,
    part: Annotated[Literal["head", "body"], Query()] = "body",
) -> Response:
    """A live part alone (the header or the body), fetched when the incident changes."""
    with tocsin.database.sessions() as session:
        found = records.find(session, reference)
        context = _body(session, found) if part == "body" else {}
        context["incident"] = outputs.incident_out(session, found)
        context["now"] = tocsin.clock.now()
    return page(request, f"incidents/_{part}.html", viewer, context)


@router.get("/incidents/{reference}/live")
def incident_live(
    request: Request, viewer: SignedIn, tocsin: RuntimeDep, reference: Reference
) -> EventSourceResponse:
    with tocsin.database.sessions() as session:
        found = records.find(session, reference)
    return live.stream(request, topic(found.id), "changed")


def _back(reference: str, anchor: str = "") -> Response:
    return RedirectResponse(
        f"/incidents/{reference}{anchor}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/incidents/{reference}/notes")
def add_note(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    text: Annotated[str, Form(max_length=20_000)] = "",
    kind: Annotated[str, Form(max_length=20)] = "observation",
    occurred_at: Annotated[str, Form(max_length=40)] = "",
    corrects: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    body = NoteCreate(
        text=text,
        kind=kind,
        occurred_at=local_instant(occurred_at, viewer, "occurred_at") if occurred_at else None,
        corrects=int(corrects) if corrects.isdigit() else None,
    )
    with tocsin.database.transaction() as session:
        found = records.find(session, reference, lock=True)
        notes.add_note(
            session,
            found,
            body.text,
            body.kind,
            _actor(viewer),
            tocsin.clock.now(),
            occurred_at=body.occurred_at,
            corrects=body.corrects,
        )
        reference = found.reference
    return _back(reference, "#timeline")


@router.post("/incidents/{reference}/roles")
def assign_role(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    role: Annotated[str, Form(max_length=50)] = "",
    user: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    body = RoleAssign(role=role, user=user)
    with tocsin.database.transaction() as session:
        found = records.find(session, reference, lock=True)
        role_changes.assign_role(
            session, found, body.role, body.user, _actor(viewer), tocsin.clock.now()
        )
        reference = found.reference
    return _back(reference, "#roles")


@router.post("/incidents/{reference}/roles/{role}/remove")
def unassign_role(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    role: Annotated[str, Path(max_length=50)],
    user: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    with tocsin.database.transaction() as session:
        found = records.find(session, reference, lock=True)
        role_changes.unassign_role(
            session, found, role, user or None, _actor(viewer), tocsin.clock.now()
        )
        reference = found.reference
    return _back(reference, "#roles")


@router.post("/incidents/{reference}/checklist")
def tick(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    key: Annotated[str, Form(min_length=1, max_length=300)],
    done: Annotated[bool, Form()] = False,
) -> Response:
    with tocsin.database.transaction() as session:
        found = records.find(session, reference, lock=True)
        checklists.set_checklist_item(session, found, key, done, _actor(viewer), tocsin.clock.now())
        reference = found.reference
    return _back(reference, "#checklist")


@router.post("/incidents/{reference}/status")
def change_status(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    status_: Annotated[str, Form(alias="status", max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = StatusChange(status=status_, reason=reason or None)
    with tocsin.database.transaction() as session:
        found = records.find(session, reference, lock=True)
        status_changes.change_status(
            session, found, body.status, body.reason, _actor(viewer), tocsin.clock.now()
        )
        reference = found.reference
    return _back(reference)


@router.post("/incidents/{reference}/severity")
def change_severity(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    severity: Annotated[str, Form(max_length=50)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = SeverityChange(severity=severity, reason=reason)
    with tocsin.database.transaction() as session:
        found = records.find(session, reference, lock=True)
        severity_changes.change_severity(
            session, found, body.severity, body.reason, _actor(viewer), tocsin.clock.now()
        )
        reference = found.reference
    return _back(reference)
