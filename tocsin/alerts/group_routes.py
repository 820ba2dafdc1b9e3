"""``/api/v1/alert-groups`` and ``/api/v1/alert-accuracy``: groups, acting on them, accuracy.

Viewers read; responders acknowledge and resolve a group's alerts. Every
write is one transaction.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import accuracy, actions
from tocsin.alerts.configured import cache_for
from tocsin.alerts.presentation import (
    MAX_SHOWN,
    Limit,
    Offset,
    ServiceFilter,
    alert_out,
    check_service_filter,
    events,
    group_out,
    page,
)
from tocsin.alerts.runtime import AlertsRuntime, AlertsRuntimeDep
from tocsin.alerts.schemas import AccuracyOut, ActionIn, GroupDetail, GroupPage
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.auth.deps import Responder, Viewer
from tocsin.domain.alert_lifecycle import Action
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import MAX_INTEGER, Cursor, LenientInstant

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["alerts"])

GroupId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The alert group's id")]


@router.get("/alert-groups", response_model=GroupPage, summary="List alert groups, newest first")
def list_groups(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    status_: Annotated[Literal["open", "resolved"] | None, Query(alias="status")] = None,
    service: ServiceFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: Offset = 0,
) -> GroupPage:
    """A page of groups; send ``next_cursor`` back as ``cursor`` for the next one."""
    query = select(AlertGroup)
    if status_ is not None:
        query = query.where(AlertGroup.status == status_)
    if service is not None:
        query = query.where(AlertGroup.service == service)
    with tocsin.database.sessions() as session:
        check_service_filter(session, service)
        rows, count = page(session, query, AlertGroup.id, limit=limit, cursor=cursor, offset=offset)
        return GroupPage(
            items=[group_out(row) for row in rows.rows],
            total=count.total,
            total_exact=count.exact,
            next_cursor=rows.next_cursor,
        )


def _detail(session: Session, row: AlertGroup) -> GroupDetail:
    alerts = session.scalars(
        select(Alert).where(Alert.group_id == row.id).order_by(Alert.id).limit(MAX_SHOWN)
    )
    return GroupDetail(
        **group_out(row).model_dump(),
        alerts=[alert_out(alert) for alert in alerts],
        events=events(session, AlertEvent.group_id, row.id),
    )


@router.get(
    "/alert-groups/{group_id}",
    response_model=GroupDetail,
    summary="One alert group with its alerts and history",
    responses={404: {"description": "No such group"}},
)
def get_group(group_id: GroupId, _: Viewer, tocsin: AlertsRuntimeDep) -> GroupDetail:
    with tocsin.database.sessions() as session:
        row = session.get(AlertGroup, group_id)
        if row is None:
            raise actions.GroupNotFound()
        return _detail(session, row)


def _act(
    tocsin: AlertsRuntime, group_id: int, action: Action, actor: str, body: ActionIn | None
) -> GroupDetail:
    with tocsin.database.transaction() as session:
        alerting = cache_for(tocsin.database).get(session)
        row = actions.act_on_group(
            session,
            alerting,
            group_id,
            action,
            actor,
            body.note if body else None,
            tocsin.clock.now(),
        )
        return _detail(session, row)


@router.post(
    "/alert-groups/{group_id}/acknowledge",
    response_model=GroupDetail,
    summary="Acknowledge every triggered alert of a group",
    responses={404: {"description": "No such group"}},
)
def acknowledge_group(
    group_id: GroupId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> GroupDetail:
    return _act(tocsin, group_id, Action.ACKNOWLEDGE, principal.name, body)


@router.post(
    "/alert-groups/{group_id}/resolve",
    response_model=GroupDetail,
    summary="Resolve every open alert of a group (and so the group)",
    responses={404: {"description": "No such group"}},
)
def resolve_group(
    group_id: GroupId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> GroupDetail:
    return _act(tocsin, group_id, Action.RESOLVE, principal.name, body)


@router.get(
    "/alert-accuracy",
    response_model=list[AccuracyOut],
    summary="Alert accuracy per rule: what resolved groups turned out to be, noisiest first",
)
def alert_accuracy(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    since: Annotated[LenientInstant | None, Query(description="Groups opened at or after")] = None,
    service: ServiceFilter = None,
) -> list[AccuracyOut]:
    with tocsin.database.sessions() as session:
        check_service_filter(session, service)
        rows = accuracy.report(session, since=since, service=service)
    return [
        AccuracyOut(
            service=row.service,
            rule=row.rule,
            groups=row.groups,
            incidents=row.incidents,
            acknowledged=row.acknowledged,
            noise=row.noise,
            precision=round(row.precision, 4),
        )
        for row in rows
    ]
