"""One public incident or maintenance in the console: its updates, and the form to post one.

The update form sets the status, the text the public reads, each component's
new status (the affected ones first, the others folded away) and whether
subscribers are told. A refused update comes back with what was typed and
why, so no text is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.status_fields import SHARED, UpdateFields, actor, rows
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.domain.refusals import Refusal
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.tables import Incident
from tocsin.statuspage import cadence, drafting, publishing, speaking, subscriber_lists
from tocsin.statuspage import components as component_states
from tocsin.statuspage.config_schema import TemplateName
from tocsin.statuspage.routes import draft
from tocsin.statuspage.schemas import UpdateIn
from tocsin.statuspage.tables import PublicIncident

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Code = Annotated[str, Path(max_length=16)]
#: The templates the update form can be drafted from.
DRAFTABLE = (
    TemplateName.INVESTIGATING,
    TemplateName.IDENTIFIED,
    TemplateName.MONITORING,
    TemplateName.RESOLVED,
)


def path(code: str) -> str:
    return f"/status-page/incidents/{code}"


def _next_status(public: PublicIncident) -> str:
    """What the form proposes: the current status (an upcoming maintenance: in progress)."""
    return "in_progress" if public.status == "scheduled" else public.status


def _context(
    session: Session, public: PublicIncident, values: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    kind = publishing.Kind(public.kind)
    listed = component_states.listing(session, with_proposals=False)
    chosen = dict(values["components"]) if values else {}
    affected = [c for c in listed if c.name in public.components]
    others = [c for c in listed if c.name not in public.components]
    incident = session.get(Incident, public.incident_id) if public.incident_id else None
    updates = publishing.updates(session, [public.id])[public.id]
    return {
        **SHARED,
        "public": public,
        "incident": incident,
        "updates": updates,
        "deliveries": subscriber_lists.counts_by_update(session, [u.id for u in updates]),
        "postmortem_told": subscriber_lists.postmortem_counts(session, public)
        if public.postmortem_notified_at
        else {},
        "overdue": cadence.overdue(session, public, now),
        "next_due": cadence.next_update_due(session, public)
        if public.status not in publishing.FINISHED
        else None,
        "templates": DRAFTABLE if incident is not None else (),
        "statuses": publishing.INCIDENT_STATUSES
        if kind is publishing.Kind.INCIDENT
        else publishing.MAINTENANCE_STATUSES,
        "affected": rows(affected, chosen),
        "others": rows(others, chosen),
        "finished": public.status in publishing.FINISHED,
        "values": values
        or {"status": _next_status(public), "body": "", "notify": True, "impact": ""},
    }


def _show(
    request: Request,
    viewer: Viewer,
    session: Session,
    public: PublicIncident,
    values: dict[str, Any] | None = None,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
    now: datetime,
) -> Response:
    context = _context(session, public, values, now)
    context["errors"] = errors or []
    return page(request, "status/story.html", viewer, context, status_code=status_code)


@router.get("/status-page/incidents/{code}", response_class=HTMLResponse)
def story(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    code: Code,
    template: Annotated[TemplateName | None, Query(alias="draft")] = None,
) -> Response:
    """The story; ``?draft=identified`` fills the update form from that template, to edit."""
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        public = publishing.find(session, code)
        incident = session.get(Incident, public.incident_id) if public.incident_id else None
        if template is None or incident is None or template not in DRAFTABLE:
            return _show(request, viewer, session, public, now=now)
        values: dict[str, Any] = {
            "status": template.value,
            "body": "",
            "notify": True,
            "impact": "",
            "components": {},
        }
        try:
            subject = drafting.Subject(incident, public, public.name)
            values["body"] = drafting.draft(session, template, subject, now)
        except Refusal as refused:
            code_, errors = explained(refused)
            return _show(
                request, viewer, session, public, values, errors=errors, status_code=code_, now=now
            )
        return _show(request, viewer, session, public, values, now=now)


@router.post("/status-page/incidents/{code}/no-update", response_class=HTMLResponse)
def no_update(request: Request, viewer: Responding, tocsin: RuntimeDep, code: Code) -> Response:
    """Post the no-update update ("still investigating; next update by ...") in one click."""
    now = tocsin.clock.now()
    try:
        with tocsin.database.transaction() as session:
            public = publishing.find(session, code, lock=True)
            speaking.post_no_update(session, public, actor(viewer), now)
    except Refusal as refused:
        code_, errors = explained(refused)
        with tocsin.database.sessions() as session:
            public = publishing.find(session, code)
            return _show(
                request, viewer, session, public, errors=errors, status_code=code_, now=now
            )
    return RedirectResponse(path(code), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/status-page/incidents/{code}/updates", response_class=HTMLResponse)
def post_update(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    code: Code,
    form: UpdateFields,
) -> Response:
    """Post an update; the page comes back with the text typed when it is refused."""
    values = form.values()
    try:
        update = UpdateIn.model_validate(form.payload())
        with tocsin.database.transaction() as session:
            public = publishing.find(session, code, lock=True)
            publishing.post_update(
                session, public, draft(update), actor(viewer), tocsin.clock.now()
            )
    except (ValidationError, Refusal) as refused:
        code_, errors = explained(refused)
    else:
        return RedirectResponse(path(code), status_code=status.HTTP_303_SEE_OTHER)
    with tocsin.database.sessions() as session:
        public = publishing.find(session, code)
        return _show(
            request,
            viewer,
            session,
            public,
            values,
            errors=errors,
            status_code=code_,
            now=tocsin.clock.now(),
        )
