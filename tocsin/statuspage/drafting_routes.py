"""Drafts, previews and the speakers' one-call messages (``/api/v1``).

- ``GET /status-page/drafts/{reference}/{template}``: a message drafted from a
  template about an incident, without sending it (viewers may read drafts).
- ``POST /status-page/drafts/{reference}/preview``: any template text rendered
  against an incident, as the named template would be; a broken template is a
  422 naming its line. Nothing is saved or sent.
- ``POST /status-page/incidents/{code}/no-update``: post a no-update update.
- ``GET``/``POST /status-page/summaries/{reference}``: the draft and
  what was approved; approving the edited text sends it to customers.
- ``POST /status-page/internal-reports/{reference}``: send the internal report now.

Writes take a responder, and the same speakers as publishing (the IC or the
Communications Lead once either is held, or an admin).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tocsin.auth.deps import Responder, Viewer
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import records
from tocsin.statuspage import customers, drafting, publishing, reports, speaking
from tocsin.statuspage.config_schema import TemplateName
from tocsin.statuspage.routes import (
    READ_ERRORS,
    WRITE_ERRORS,
    Code,
    Reference,
    actor,
    public_out,
)
from tocsin.statuspage.schemas import (
    DraftOut,
    NoUpdateIn,
    PreviewIn,
    PublicIncidentOut,
    ReportOut,
    SummaryApprovedOut,
    SummaryApproveIn,
    SummaryOut,
)

router = APIRouter(
    prefix="/api/v1", route_class=CheckedRoute, tags=["status page"], responses=READ_ERRORS
)

PublicName = Annotated[
    str | None,
    Query(max_length=200, description="The public name to use while the incident is unpublished"),
]


@router.get(
    "/status-page/drafts/{reference}/{template}",
    summary="Draft a message about an incident from a template (nothing is sent)",
    responses=WRITE_ERRORS,
)
def get_draft(
    reference: Reference,
    template: TemplateName,
    _: Viewer,
    tocsin: RuntimeDep,
    name: PublicName = None,
) -> DraftOut:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        subject = drafting.subject_of(session, incident, name)
        text = drafting.draft(session, template, subject, tocsin.clock.now())
        return DraftOut(template=template, public=template in drafting.PUBLIC_TEMPLATES, text=text)


@router.post(
    "/status-page/drafts/{reference}/preview",
    summary="Render template text against an incident, as a template would be (nothing is sent)",
    description="A template that does not parse, names something its context lacks or tries "
    "to reach Python internals answers 422 with the line.",
    responses=WRITE_ERRORS,
)
def preview(reference: Reference, body: PreviewIn, _: Responder, tocsin: RuntimeDep) -> DraftOut:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        subject = drafting.subject_of(session, incident, body.name)
        text = drafting.draft(session, body.template, subject, tocsin.clock.now(), text=body.text)
        return DraftOut(
            template=body.template, public=body.template in drafting.PUBLIC_TEMPLATES, text=text
        )


@router.post(
    "/status-page/incidents/{code}/no-update",
    status_code=201,
    summary='Post a "no-update update" from the no_update template',
    responses=WRITE_ERRORS,
)
def no_update(
    code: Code,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
    body: NoUpdateIn | None = None,
) -> PublicIncidentOut:
    notify = body.notify if body is not None else True
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        public = publishing.find(session, code, lock=True)
        speaking.post_no_update(session, public, actor(principal, request), now, notify=notify)
        return public_out(session, public, now)


@router.get(
    "/status-page/summaries/{reference}",
    summary="The post-resolution summary: its draft, and the approved text once approved",
    responses=WRITE_ERRORS,
)
def get_summary(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> SummaryOut:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        subject = drafting.subject_of(session, incident)
        text = drafting.draft(
            session, TemplateName.POST_RESOLUTION_SUMMARY, subject, tocsin.clock.now()
        )
        done = speaking.approved(session, incident.id)
        return SummaryOut(
            incident=incident.reference,
            draft=text,
            approved=done.text if done else None,
            approved_by=done.by if done else None,
            approved_at=done.at if done else None,
            customers=customers.addresses(session, incident),
        )


@router.post(
    "/status-page/summaries/{reference}",
    status_code=201,
    summary="Approve the edited post-resolution summary and send it to the customers",
    responses=WRITE_ERRORS,
)
def approve_summary(
    reference: Reference,
    body: SummaryApproveIn,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> SummaryApprovedOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        sent = speaking.approve(
            session, incident, body.text, actor(principal, request), tocsin.clock.now()
        )
        return SummaryApprovedOut(
            incident=incident.reference, approved_by=principal.name, sent_to=sent
        )


@router.post(
    "/status-page/internal-reports/{reference}",
    status_code=201,
    summary="Send the internal report to the severity's audience now",
    responses=WRITE_ERRORS,
)
def send_report(
    reference: Reference, principal: Responder, tocsin: RuntimeDep, request: Request
) -> ReportOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        publishing.check_speaker(session, incident, actor(principal, request))
        people = reports.send(session, incident, now, by=principal.name)
        reports.start(session, incident, now)
        return ReportOut(
            incident=incident.reference,
            sent_to=people,
            next_report_due=reports.next_report_due(session, incident),
        )
