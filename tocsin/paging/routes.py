"""Paging API: escalations (start, acknowledge, resolve, escalate, re-assign), pages, dry runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.deps import Responder, Viewer
from tocsin.db import keyset
from tocsin.domain.escalation import Urgency
from tocsin.domain.refusals import NotFound
from tocsin.http.checked import CheckedRoute
from tocsin.http.listing import link_next
from tocsin.http.params import Cursor, LenientInstant
from tocsin.http.runtime import RuntimeDep
from tocsin.kernel.clock import utc
from tocsin.paging import acks, handling, load_report_routes, runs, simulate
from tocsin.paging.statements import Run
from tocsin.paging.tables import (
    MANUAL,
    DeliveryAttempt,
    EscalationEvent,
    EscalationRun,
    Notification,
    Page,
)

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["paging"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PageId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "No such object"}}
#: The two lists stay JSON arrays; the next page is in the Link and X-Next-Cursor headers.
LISTED: Responses = {422: {"description": "A filter or the cursor is invalid"}}
LIST_PAGING = (
    'Newest first, by cursor: when there are more, the Link header (rel="next") '
    "and X-Next-Cursor give the next page; send the cursor back as cursor. "
)
#: Both lists sort by id, newest first; each filter has an index ending with the id.
RUN_ORDER = keyset.Order((EscalationRun.id.expression,))
PAGE_ORDER = keyset.Order((Page.id.expression,))
REFUSED: Responses = {409: {"description": "The escalation is not in a state that allows this"}}


class SimulateIn(BaseModel):
    at: LenientInstant | None = Field(None, description="When the alert fires (default: now).")
    service: Name | None = Field(None, description="Service whose team fills role targets.")
    urgency: Urgency = Urgency.HIGH


class NotificationOut(BaseModel):
    method: str
    minute: float


class PersonOut(BaseModel):
    name: str
    notifications: list[NotificationOut]


class TargetOut(BaseModel):
    target: str
    people: list[PersonOut]
    reason: str | None


class StepOut(BaseModel):
    number: int
    round: int
    at: datetime
    minute: float
    targets: list[TargetOut]


class SimulationOut(BaseModel):
    policy: str
    start: datetime
    urgency: Urgency
    team: str | None
    steps: list[StepOut]
    ends: str
    text: list[str] = Field(description="The same timeline as lines of text.")


class StartIn(BaseModel):
    policy: Name
    title: str = Field(min_length=1, max_length=500)
    service: Name | None = None
    urgency: Urgency = Urgency.HIGH


class ReassignIn(BaseModel):
    user: Name


class EventOut(BaseModel):
    at: datetime
    kind: str
    text: str


class AttemptOut(BaseModel):
    at: datetime
    provider: str
    status: str
    error: str | None
    pages: int


class NotificationStateOut(BaseModel):
    id: int
    method_type: str
    due_at: datetime
    state: str
    sent_at: datetime | None
    note: str | None
    attempts: list[AttemptOut]


class PageOut(BaseModel):
    id: int
    escalation: int
    user: str
    step: int
    title: str
    urgency: str
    state: str
    created_at: datetime
    acknowledged_at: datetime | None
    dead_reason: str | None
    notifications: list[NotificationStateOut]


class EscalationOut(BaseModel):
    id: int
    subject_type: str
    subject_key: str
    title: str
    incident_id: int | None
    service: str | None
    team: str | None
    policy: str
    urgency: str
    state: str
    next_step: int
    next_step_at: datetime | None
    started_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


class EscalationDetailOut(EscalationOut):
    frozen_policy: dict[str, Any]
    events: list[EventOut]
    pages: list[PageOut]


def _escalation(run: EscalationRun | Run) -> EscalationOut:
    return EscalationOut(
        id=run.id,
        subject_type=run.subject_type,
        subject_key=run.subject_key,
        title=run.title,
        incident_id=run.incident_id,
        service=run.service,
        team=run.team,
        policy=run.policy_name,
        urgency=run.urgency,
        state=run.state,
        next_step=run.step_index,
        next_step_at=run.next_step_at,
        started_at=run.started_at,
        acknowledged_at=run.acknowledged_at,
        acknowledged_by=run.acknowledged_by,
        resolved_at=run.resolved_at,
    )


def _pages(session: Session, pages: list[Page]) -> list[PageOut]:
    ids = [page.id for page in pages]
    notifications = session.scalars(
        select(Notification).where(Notification.page_id.in_(ids)).order_by(Notification.id)
    ).all()
    attempts = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.page_id.in_(ids)).order_by(DeliveryAttempt.id)
    ).all()
    by_notification: dict[int, list[AttemptOut]] = {}
    for attempt in attempts:
        by_notification.setdefault(attempt.notification_id, []).append(
            AttemptOut(
                at=attempt.at,
                provider=attempt.provider,
                status=attempt.status,
                error=attempt.error,
                pages=attempt.pages,
            )
        )
    by_page: dict[int, list[NotificationStateOut]] = {}
    for notification in notifications:
        by_page.setdefault(notification.page_id, []).append(
            NotificationStateOut(
                id=notification.id,
                method_type=notification.method_type,
                due_at=notification.due_at,
                state=notification.state,
                sent_at=notification.sent_at,
                note=notification.note,
                attempts=by_notification.get(notification.id, []),
            )
        )
    return [
        PageOut(
            id=page.id,
            escalation=page.run_id,
            user=page.user_name,
            step=page.step_index,
            title=page.title,
            urgency=page.urgency,
            state=page.state,
            created_at=page.created_at,
            acknowledged_at=page.acknowledged_at,
            dead_reason=page.dead_reason,
            notifications=by_page.get(page.id, []),
        )
        for page in pages
    ]


def _detail(session: Session, run: EscalationRun) -> EscalationDetailOut:
    events = session.scalars(
        select(EscalationEvent).where(EscalationEvent.run_id == run.id).order_by(EscalationEvent.id)
    ).all()
    pages = list(session.scalars(select(Page).where(Page.run_id == run.id).order_by(Page.id)))
    return EscalationDetailOut(
        **_escalation(run).model_dump(),
        frozen_policy=run.policy,
        events=[EventOut(at=e.at, kind=e.kind, text=e.text) for e in events],
        pages=_pages(session, pages),
    )


@router.post(
    "/escalation-policies/{name}/simulate",
    response_model=SimulationOut,
    summary="Dry run: who would be paged, how and when, if an alert fired and nobody answered",
    responses=NOT_FOUND,
)
def simulate_policy(
    name: Annotated[str, Path(max_length=200)], body: SimulateIn, tocsin: RuntimeDep, _: Viewer
) -> SimulationOut:
    start = utc(body.at) if body.at is not None else tocsin.clock.now()
    with tocsin.database.sessions() as session:
        result = simulate.simulate(session, name, start, service=body.service, urgency=body.urgency)
    return SimulationOut(
        policy=result.policy,
        start=result.start,
        urgency=result.urgency,
        team=result.team,
        ends=result.ends,
        text=simulate.render(result),
        steps=[
            StepOut(
                number=step.number,
                round=step.round,
                at=step.at,
                minute=step.minute,
                targets=[
                    TargetOut(
                        target=target.target,
                        reason=target.reason,
                        people=[
                            PersonOut(
                                name=person.name,
                                notifications=[
                                    NotificationOut(method=n.method, minute=n.minute)
                                    for n in person.notifications
                                ],
                            )
                            for person in target.people
                        ],
                    )
                    for target in step.targets
                ],
            )
            for step in result.steps
        ],
    )


@router.post(
    "/escalations",
    response_model=EscalationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Page a policy by hand (returns the open escalation if the title is already paging)",
    responses={404: {"description": "No such policy or service"}},
)
def start_escalation(body: StartIn, tocsin: RuntimeDep, caller: Responder) -> EscalationOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        run = runs.start(
            session,
            subject_type=MANUAL,
            subject_key=f"{caller.name}:{body.title}"[:200],
            title=body.title,
            policy_name=body.policy,
            urgency=body.urgency,
            now=now,
            service=body.service,
        )
        return _escalation(run)


@router.get(
    "/escalations",
    response_model=list[EscalationOut],
    summary="Escalations, newest first",
    description=LIST_PAGING + "The state filter is indexed.",
    responses=LISTED,
)
def list_escalations(
    tocsin: RuntimeDep,
    _: Viewer,
    request: Request,
    response: Response,
    state: Annotated[Literal["active", "acknowledged", "resolved"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> list[EscalationOut]:
    query = select(EscalationRun)
    if state is not None:
        query = query.where(EscalationRun.state == state)
    with tocsin.database.sessions() as session:
        found = keyset.page(session, query, RUN_ORDER, limit=limit, cursor=cursor)
        link_next(request, response, found.next_cursor)
        return [_escalation(run) for run in found.rows]


@router.get(
    "/escalations/{run_id}",
    response_model=EscalationDetailOut,
    summary="One escalation with its frozen policy, timeline and pages",
    responses=NOT_FOUND,
)
def get_escalation(run_id: RunId, tocsin: RuntimeDep, _: Viewer) -> EscalationDetailOut:
    with tocsin.database.sessions() as session:
        run = session.get(EscalationRun, run_id)
        if run is None:
            raise NotFound(f"no escalation {run_id}")
        return _detail(session, run)


@router.post(
    "/escalations/{run_id}/acknowledge",
    response_model=EscalationOut,
    summary="Acknowledge: no further step; its alert group or incident is acknowledged too",
    responses={**NOT_FOUND, **REFUSED},
)
def acknowledge_escalation(run_id: RunId, tocsin: RuntimeDep, caller: Responder) -> EscalationOut:
    with tocsin.database.transaction() as session:
        return _escalation(handling.acknowledge(session, run_id, caller.name, tocsin.clock.now()))


@router.post(
    "/escalations/{run_id}/resolve",
    response_model=EscalationOut,
    summary="Resolve: stop everything",
    responses={**NOT_FOUND, **REFUSED},
)
def resolve_escalation(run_id: RunId, tocsin: RuntimeDep, caller: Responder) -> EscalationOut:
    with tocsin.database.transaction() as session:
        return _escalation(handling.resolve(session, run_id, caller.name, tocsin.clock.now()))


@router.post(
    "/escalations/{run_id}/escalate",
    response_model=EscalationOut,
    summary="Escalate now: run the next step without waiting",
    responses={**NOT_FOUND, **REFUSED},
)
def escalate_escalation(run_id: RunId, tocsin: RuntimeDep, caller: Responder) -> EscalationOut:
    with tocsin.database.transaction() as session:
        return _escalation(handling.escalate(session, run_id, caller.name, tocsin.clock.now()))


@router.post(
    "/escalations/{run_id}/reassign",
    response_model=EscalationOut,
    summary="Re-assign: page this person now; the policy resumes after the step's timeout",
    responses={**NOT_FOUND, **REFUSED},
)
def reassign_escalation(
    run_id: RunId, body: ReassignIn, tocsin: RuntimeDep, caller: Responder
) -> EscalationOut:
    with tocsin.database.transaction() as session:
        return _escalation(
            handling.reassign(session, run_id, body.user, caller.name, tocsin.clock.now())
        )


@router.get(
    "/pages",
    response_model=list[PageOut],
    summary="Pages with their delivery attempts",
    description=LIST_PAGING + "The state and user filters, alone or together, are indexed.",
    responses=LISTED,
)
def list_pages(
    tocsin: RuntimeDep,
    _: Viewer,
    request: Request,
    response: Response,
    state: Annotated[Literal["open", "acknowledged", "closed", "dead"] | None, Query()] = None,
    user: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> list[PageOut]:
    query = select(Page)
    if state is not None:
        query = query.where(Page.state == state)
    if user is not None:
        query = query.where(Page.user_name == user)
    with tocsin.database.sessions() as session:
        found = keyset.page(session, query, PAGE_ORDER, limit=limit, cursor=cursor)
        link_next(request, response, found.next_cursor)
        return _pages(session, found.rows)


@router.get("/pages/{page_id}", response_model=PageOut, summary="One page", responses=NOT_FOUND)
def get_page(page_id: PageId, tocsin: RuntimeDep, _: Viewer) -> PageOut:
    with tocsin.database.sessions() as session:
        page = session.get(Page, page_id)
        if page is None:
            raise NotFound(f"no page {page_id}")
        return _pages(session, [page])[0]


@router.post(
    "/pages/{page_id}/acknowledge",
    response_model=EscalationOut,
    summary="Acknowledge the escalation this page belongs to (and its alert group or incident)",
    responses={**NOT_FOUND, **REFUSED},
)
def acknowledge_page_route(page_id: PageId, tocsin: RuntimeDep, caller: Responder) -> EscalationOut:
    with tocsin.database.transaction() as session:
        return _escalation(acks.acknowledge(session, page_id, caller.name, tocsin.clock.now()))


#: The on-call load report counts pages, so it is paging's (its path stays under /oncall).
router.include_router(load_report_routes.router)
