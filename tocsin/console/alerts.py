"""The console's alerts pages: the alert queue (groups and single alerts) and its live updates.

``/alerts`` lists alert groups (open ones unless the form says otherwise),
``/alerts/all`` single alerts, with the same filters; ``/alerts/live`` tells
both pages when the queue changed and they fetch their list again
(``/alerts/part``, ``/alerts/all/part``). A group's and an alert's pages and
their actions are in :mod:`.alert_pages`, silences in :mod:`.alert_silences`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.alerts.presentation import status_filter
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.console import alert_pages, alert_silences
from tocsin.console.alert_filters import SEVERITIES, Filters, Listing, listing
from tocsin.console.live import Topic, stream
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import SignedIn
from tocsin.domain.alert_lifecycle import Severity
from tocsin.domain.matchers import matches_all
from tocsin.domain.routing import match_labels
from tocsin.http.params import Cursor
from tocsin.http.runtime import RuntimeDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

GroupStatus = Literal["open", "resolved", "all"]
AlertStatus = Literal["open", "triggered", "acknowledged", "resolved", "all"]
Text = Annotated[str, Query(max_length=500)]


def queue_version(session: Session) -> Hashable:
    """The newest group and the newest history entry: both primary keys, so two index reads.

    Every trigger, repeat, acknowledgement and resolution writes an alert
    event, and a new group a new id, so this moves whenever the queue does.
    """
    return (
        session.scalar(select(func.max(AlertGroup.id))),
        session.scalar(select(func.max(AlertEvent.id))),
    )


QUEUE = Topic("alerts", queue_version)


@router.get("/alerts/live")
def alerts_live(request: Request, _: SignedIn) -> Response:
    return stream(request, QUEUE, "alerts")


def _group_keep(filters: Filters) -> Callable[[Any], bool] | None:
    matchers = filters.matchers
    if not matchers:
        return None
    return lambda row: matches_all(matchers, {**row.labels, "__service__": row.service})


def _alert_keep(filters: Filters) -> Callable[[Any], bool] | None:
    matchers = filters.matchers
    severity = filters.severity
    if not matchers and not severity:
        return None

    def keep(row: Alert) -> bool:
        if severity and row.severity != severity:
            return False
        labels = match_labels(
            row.labels,
            service=row.service,
            integration=row.integration,
            severity=Severity(row.severity),
            source=row.source_type,
        )
        return matches_all(matchers, labels)

    return keep


def group_listing(session: Session, filters: Filters, cursor: str | None) -> Listing:
    filters.check(session)
    query = select(AlertGroup)
    if filters.status != "all":
        query = query.where(AlertGroup.status == filters.status)
    if filters.service:
        query = query.where(AlertGroup.service == filters.service)
    return listing(session, query, AlertGroup.id, keep=_group_keep(filters), cursor=cursor)


def alert_listing(session: Session, filters: Filters, cursor: str | None) -> Listing:
    filters.check(session)
    wanted = None if filters.status == "all" else filters.status
    query, counted = (
        status_filter(select(Alert), Alert.status, wanted, counting=counting)  # type: ignore[arg-type]
        for counting in (False, True)
    )
    if filters.service:
        query, counted = (q.where(Alert.service == filters.service) for q in (query, counted))
    return listing(
        session, query, Alert.id, counted=counted, keep=_alert_keep(filters), cursor=cursor
    )


def _render(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    *,
    kind: str,
    filters: Filters,
    cursor: str | None,
    part: bool,
) -> Response:
    with tocsin.database.sessions() as session:
        if kind == "groups":
            found = group_listing(session, filters, cursor)
        else:
            found = alert_listing(session, filters, cursor)
    template = f"alerts/{kind}{'_part' if part else ''}.html"
    base = "/alerts" if kind == "groups" else "/alerts/all"
    return page(
        request,
        template,
        viewer,
        {
            "found": found,
            "filters": filters,
            "cursor": cursor,
            "kind": kind,
            "base": base,
            "severities": SEVERITIES,
            "now": tocsin.clock.now(),
            "here": request.url.path.removesuffix("/part")
            + (f"?{request.url.query}" if request.url.query else ""),
        },
    )


@router.get("/alerts", response_class=HTMLResponse)
@router.get("/alerts/part", response_class=HTMLResponse)
def groups_page(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    status: GroupStatus = "open",
    service: Text = "",
    severity: Text = "",
    labels: Text = "",
    cursor: Cursor = None,
) -> Response:
    """The alert groups; ``/part`` is the list alone, re-fetched when the queue changes."""
    filters = Filters(status, service.strip(), severity, labels)
    part = request.url.path.endswith("/part")
    return _render(
        request, viewer, tocsin, kind="groups", filters=filters, cursor=cursor, part=part
    )


@router.get("/alerts/all", response_class=HTMLResponse)
@router.get("/alerts/all/part", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    status: AlertStatus = "open",
    service: Text = "",
    severity: Text = "",
    labels: Text = "",
    cursor: Cursor = None,
) -> Response:
    """Single alerts; ``/part`` is the list alone, re-fetched when the queue changes."""
    filters = Filters(status, service.strip(), severity, labels)
    part = request.url.path.endswith("/part")
    return _render(
        request, viewer, tocsin, kind="alerts", filters=filters, cursor=cursor, part=part
    )


router.include_router(alert_silences.router)
router.include_router(alert_pages.router)
