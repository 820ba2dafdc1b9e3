"""An incident's messages in the console: templates previewed, the summary approved.

``/incidents/{ref}/messages`` drafts any configured template about the
incident (public ones see only public facts; internal ones the timeline) and
previews text typed in its place, so a template is seen before it is used.
Once the incident is resolved, the post-resolution summary is drafted there,
edited and approved by the Communications Lead (else the Incident Commander
or an admin); approving keeps it on the timeline and sends it to the
service's customers. Nothing here changes the public page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.status_fields import actor
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import Refusal
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.incidents import records
from tocsin.statuspage import drafting, speaking
from tocsin.statuspage.config_schema import TemplateName

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Reference = Annotated[str, Path(max_length=30)]


def path(reference: str) -> str:
    return f"/incidents/{reference}/messages"


def _show(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    reference: str,
    *,
    template: TemplateName,
    text: str | None = None,
    summary: str | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    now = tocsin.clock.now()
    context: dict[str, Any] = {"templates": list(TemplateName), "chosen": template}
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        subject = drafting.subject_of(session, incident)
        context["incident"] = incident
        context["public_template"] = template in drafting.PUBLIC_TEMPLATES
        context["source"] = text if text is not None else drafting.template_text(session, template)
        context["rendered"], problem = _render(session, template, subject, now, text)
        context["approved"] = speaking.approved(session, incident.id)
        context["resolved"] = incident.status not in OPEN_STATUSES
        context["summary"] = summary
        if summary is None and context["resolved"] and context["approved"] is None:
            context["summary"], _ = _render(
                session, TemplateName.POST_RESOLUTION_SUMMARY, subject, now, None
            )
    context["errors"] = (errors or []) + ([problem] if problem else [])
    return page(request, "incidents/messages.html", viewer, context, status_code=status_code)


def _render(
    session: Session,
    template: TemplateName,
    subject: drafting.Subject,
    now: Any,
    text: str | None,
) -> tuple[str, str | None]:
    """The rendered text, or nothing and why the template failed."""
    try:
        return drafting.draft(session, template, subject, now, text=text), None
    except Refusal as refused:
        return "", explained(refused)[1][0]


@router.get("/incidents/{reference}/messages", response_class=HTMLResponse)
def messages(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    reference: Reference,
    template: Annotated[TemplateName, Query()] = TemplateName.INVESTIGATING,
) -> Response:
    return _show(request, viewer, tocsin, reference, template=template)


@router.post("/incidents/{reference}/messages/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    template: Annotated[TemplateName, Form()],
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Render the typed text as ``template`` would be; nothing is stored or sent."""
    return _show(request, viewer, tocsin, reference, template=template, text=text)


@router.post("/incidents/{reference}/summary", response_class=HTMLResponse)
def approve_summary(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    summary: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    try:
        with tocsin.database.transaction() as session:
            incident = records.find(session, reference, lock=True)
            speaking.approve(session, incident, summary, actor(viewer), tocsin.clock.now())
    except Refusal as refused:
        code, errors = explained(refused)
        return _show(
            request,
            viewer,
            tocsin,
            reference,
            template=TemplateName.POST_RESOLUTION_SUMMARY,
            summary=summary,
            errors=errors,
            status_code=code,
        )
    return RedirectResponse(path(reference), status_code=status.HTTP_303_SEE_OTHER)
