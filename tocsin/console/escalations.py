"""The console's escalation pages: policies with their dry run, escalations in flight, pages.

Escalations in flight are acknowledged, escalated now, reassigned or resolved
through :mod:`tocsin.paging.handling`, as through the API. A page's detail shows
each contact method's notification and every delivery attempt, so "did it
reach them?" has an answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from tocsin.config import known_names
from tocsin.config.organisation import SERVICE
from tocsin.config.tables import Definition
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn
from tocsin.db import keyset
from tocsin.domain.escalation import Urgency
from tocsin.domain.escalation_run import OPEN_STATES
from tocsin.domain.refusals import NotFound
from tocsin.http.runtime import RuntimeDep
from tocsin.paging import handling, simulate
from tocsin.paging.config_schema import ESCALATION_POLICY
from tocsin.paging.tables import (
    DeliveryAttempt,
    EscalationEvent,
    EscalationRun,
    Notification,
    Page,
)

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

#: Escalations in flight and recent pages shown on the page.
SHOWN = 50
RunId = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: Escalations newest first, as the API lists them.
RUN_ORDER = keyset.Order((EscalationRun.id.expression,))


def describe_target(target: dict[str, Any]) -> str:
    """A policy step's target in words: "schedule payments-oncall, layer europe"."""
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in target.items())


@router.get("/escalations", response_class=HTMLResponse)
def escalations(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    with tocsin.database.sessions() as session:
        policies = list(
            session.scalars(
                select(Definition)
                .where(Definition.kind == ESCALATION_POLICY)
                .order_by(Definition.position, Definition.name)
            )
        )
        running = keyset.page(
            session,
            select(EscalationRun).where(EscalationRun.state.in_(OPEN_STATES)),
            RUN_ORDER,
            limit=SHOWN,
            cursor=cursor,
        )
        pages = list(session.scalars(select(Page).order_by(Page.id.desc()).limit(SHOWN)))
        people = known_names.users(session)
        services = known_names.defined(session, SERVICE)
    return page(
        request,
        "escalations/index.html",
        viewer,
        {
            "policies": policies,
            "describe": describe_target,
            "running": running.rows,
            "next_cursor": running.next_cursor,
            "pages": pages,
            "people": people,
            "services": services,
            "now": tocsin.clock.now(),
        },
    )


@router.get("/escalations/policies/{name}/simulate", response_class=HTMLResponse)
def dry_run(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    name: Annotated[str, Path(max_length=200)],
    service: Annotated[str, Query(max_length=200)] = "",
    urgency: Annotated[Literal["high", "low"], Query()] = "high",
) -> Response:
    """Who would be paged, how and when, if an alert fired now and nobody answered."""
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        result = simulate.simulate(
            session, name, now, service=service or None, urgency=Urgency(urgency)
        )
    return page(
        request,
        "escalations/simulation.html",
        viewer,
        {"result": result, "service": service, "urgency": urgency},
    )


@router.get("/escalations/{run_id}", response_class=HTMLResponse)
def escalation(request: Request, viewer: SignedIn, tocsin: RuntimeDep, run_id: RunId) -> Response:
    with tocsin.database.sessions() as session:
        run = session.get(EscalationRun, run_id)
        if run is None:
            raise NotFound(f"no escalation {run_id}")
        events = list(
            session.scalars(
                select(EscalationEvent)
                .where(EscalationEvent.run_id == run_id)
                .order_by(EscalationEvent.id)
            )
        )
        pages = list(session.scalars(select(Page).where(Page.run_id == run_id).order_by(Page.id)))
        people = known_names.users(session)
    return page(
        request,
        "escalations/escalation.html",
        viewer,
        {"run": run, "events": events, "pages": pages, "people": people, "now": tocsin.clock.now()},
    )


@router.get("/escalations/pages/{page_id}", response_class=HTMLResponse)
def page_detail(request: Request, viewer: SignedIn, tocsin: RuntimeDep, page_id: RunId) -> Response:
    """A page's notifications, one per contact method, each with its delivery attempts."""
    with tocsin.database.sessions() as session:
        found = session.get(Page, page_id)
        if found is None:
            raise NotFound(f"no page {page_id}")
        notifications = list(
            session.scalars(
                select(Notification)
                .where(Notification.page_id == page_id)
                .order_by(Notification.id)
            )
        )
        attempts: dict[int, list[DeliveryAttempt]] = {}
        for attempt in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.page_id == page_id)
            .order_by(DeliveryAttempt.id)
        ):
            attempts.setdefault(attempt.notification_id, []).append(attempt)
    return page(
        request,
        "escalations/page.html",
        viewer,
        {"page": found, "notifications": notifications, "attempts": attempts},
    )


def _done(run_id: int, back: str) -> Response:
    target = back if back.startswith("/escalations") else f"/escalations/{run_id}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


Back = Annotated[str, Form(max_length=200)]


@router.post("/escalations/{run_id}/acknowledge")
def acknowledge(viewer: Responding, tocsin: RuntimeDep, run_id: RunId, back: Back = "") -> Response:
    with tocsin.database.transaction() as session:
        handling.acknowledge(session, run_id, viewer.name, tocsin.clock.now())
    return _done(run_id, back)


@router.post("/escalations/{run_id}/escalate")
def escalate(viewer: Responding, tocsin: RuntimeDep, run_id: RunId, back: Back = "") -> Response:
    with tocsin.database.transaction() as session:
        handling.escalate(session, run_id, viewer.name, tocsin.clock.now())
    return _done(run_id, back)


@router.post("/escalations/{run_id}/resolve")
def resolve(viewer: Responding, tocsin: RuntimeDep, run_id: RunId, back: Back = "") -> Response:
    with tocsin.database.transaction() as session:
        handling.resolve(session, run_id, viewer.name, tocsin.clock.now())
    return _done(run_id, back)


@router.post("/escalations/{run_id}/reassign")
def reassign(
    viewer: Responding,
    tocsin: RuntimeDep,
    run_id: RunId,
    user: Annotated[str, Form(min_length=1, max_length=100)],
    back: Back = "",
) -> Response:
    with tocsin.database.transaction() as session:
        handling.reassign(session, run_id, user, viewer.name, tocsin.clock.now())
    return _done(run_id, back)
