"""``/api/v1/alerts``: list alerts, show one with its history, acknowledge or resolve it.

Viewers read; responders acknowledge and resolve. Every write is one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from tocsin.alerts import actions
from tocsin.alerts.configured import cache_for
from tocsin.alerts.presentation import (
    Limit,
    Offset,
    ServiceFilter,
    alert_out,
    check_service_filter,
    events,
    page,
    status_filter,
)
from tocsin.alerts.runtime import AlertsRuntime, AlertsRuntimeDep
from tocsin.alerts.schemas import ActionIn, AlertDetail, AlertOut, AlertPage
from tocsin.alerts.tables import Alert, AlertEvent
from tocsin.auth.deps import Responder, Viewer
from tocsin.domain.alert_lifecycle import Action
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import MAX_INTEGER, Cursor

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The alert's id")]
StatusFilter = Literal["open", "triggered", "acknowledged", "resolved"]


@router.get("/alerts", response_model=AlertPage, summary="List alerts, newest first")
def list_alerts(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    status_: Annotated[StatusFilter | None, Query(alias="status")] = None,
    service: ServiceFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = 0,
) -> AlertPage:
    """A page of alerts; send ``next_cursor`` back as ``cursor`` for the next one."""
    query, counted = (
        status_filter(select(Alert), Alert.status, status_, counting=counting)
        for counting in (False, True)
    )
    if service is not None:
        query, counted = (q.where(Alert.service == service) for q in (query, counted))
    with tocsin.database.sessions() as session:
        check_service_filter(session, service)
        rows, count = page(
            session, query, Alert.id, counted=counted, limit=limit, cursor=cursor, offset=offset
        )
        return AlertPage(
            items=[alert_out(row) for row in rows.rows],
            total=count.total,
            total_exact=count.exact,
            next_cursor=rows.next_cursor,
        )


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertDetail,
    summary="One alert with its history",
    responses={404: {"description": "No such alert"}},
)
def get_alert(alert_id: AlertId, _: Viewer, tocsin: AlertsRuntimeDep) -> AlertDetail:
    with tocsin.database.sessions() as session:
        row = session.get(Alert, alert_id)
        if row is None:
            raise actions.AlertNotFound()
        return AlertDetail(
            **alert_out(row).model_dump(), events=events(session, AlertEvent.alert_id, row.id)
        )


def _act(
    tocsin: AlertsRuntime, alert_id: int, action: Action, actor: str, body: ActionIn | None
) -> AlertOut:
    with tocsin.database.transaction() as session:
        alerting = cache_for(tocsin.database).get(session)
        row = actions.act_on_alert(
            session,
            alerting,
            alert_id,
            action,
            actor,
            body.note if body else None,
            tocsin.clock.now(),
        )
        return alert_out(row)


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such alert"},
    409: {"description": "The alert is already in that state (or resolved)"},
}


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    summary="Acknowledge an alert",
    responses=WRITE_RESPONSES,
)
def acknowledge_alert(
    alert_id: AlertId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> AlertOut:
    return _act(tocsin, alert_id, Action.ACKNOWLEDGE, principal.name, body)


@router.post(
    "/alerts/{alert_id}/resolve",
    response_model=AlertOut,
    summary="Resolve an alert",
    responses=WRITE_RESPONSES,
)
def resolve_alert(
    alert_id: AlertId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> AlertOut:
    return _act(tocsin, alert_id, Action.RESOLVE, principal.name, body)
