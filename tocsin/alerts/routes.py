"""Alerts, alert groups, alert accuracy, integrations, silences, maintenance windows, reports.

Viewers read; responders acknowledge, resolve, silence and report; admins
manage integrations and their keys. Every write is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from pydantic import ValidationError
from sqlalchemy import Integer, Select, func, select
from sqlalchemy.orm import Session

from tocsin.alerts import integrations, send_to, silences
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.alerts.configured import cache_for
from tocsin.alerts.ingest import Ingest
from tocsin.alerts.runtime import AlertsRuntime, AlertsRuntimeDep
from tocsin.alerts.schemas import (
    AccuracyOut,
    ActionIn,
    AlertDetail,
    AlertOut,
    AlertPage,
    EventOut,
    GroupDetail,
    GroupOut,
    GroupPage,
    IntegrationCreate,
    IntegrationKeyOut,
    IntegrationOut,
    KeyOut,
    MaintenanceWindowOut,
    ReportIn,
    ReportOut,
    RevokedOut,
    SilenceCreate,
    SilenceOut,
)
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup, SilenceRow
from tocsin.auth.deps import Admin, Responder, Viewer, remote_addr
from tocsin.config import known_names
from tocsin.config.messages import message_for
from tocsin.domain import untrusted
from tocsin.domain.alert_lifecycle import Action, Change, Severity
from tocsin.domain.grouping import AccuracyRow, Outcome, rank_noisy
from tocsin.domain.refusals import Invalid, Refusal
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import MAX_INTEGER, LenientInstant
from tocsin.inbound import user_report
from tocsin.incidents.editing import Actor

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The alert's id")]
GroupId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The alert group's id")]
SilenceId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The silence's id")]
IntegrationName = Annotated[str, Path(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
StatusFilter = Literal["open", "triggered", "acknowledged", "resolved"]


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {what}")


def _invalid(field: str, message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
    )


def _check_service_filter(session: Session, service: str | None) -> None:
    """422 for a filter naming neither a defined service nor one that alerts carry."""
    if service is None:
        return
    problem = known_names.unknown_service_filter(session, service, select(AlertGroup.service))
    if problem is not None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["query", "service"], "msg": problem, "type": "value_error"}],
        )


# --- alerts -------------------------------------------------------------------


def alert_out(row: Alert) -> AlertOut:
    return AlertOut(
        id=row.id,
        service=row.service,
        dedup_key=untrusted.text(row.dedup_key),
        status=row.status,
        severity=row.severity,
        summary=untrusted.text(row.summary),
        integration=row.integration,
        source_type=row.source_type,
        source=untrusted.text(row.source),
        labels=untrusted.served(row.labels),
        annotations=untrusted.served(row.annotations),
        details=untrusted.served(row.details),
        links=untrusted.served(row.links),
        runbook_url=untrusted.optional_text(row.runbook_url),
        occurrences=row.occurrences,
        flapping=row.flapping,
        suppressed_by=row.suppressed_by,
        urgency=row.urgency,
        group_id=row.group_id,
        incident_id=row.incident_id,
        incident_reference=f"INC-{row.incident_id}" if row.incident_id is not None else None,
        started_at=row.started_at,
        triggered_at=row.triggered_at,
        last_event_at=row.last_event_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=untrusted.optional_text(row.acknowledged_by),
        resolved_at=row.resolved_at,
        resolved_by=untrusted.optional_text(row.resolved_by),
    )


def event_out(row: AlertEvent) -> EventOut:
    return EventOut(
        at=row.at,
        kind=row.kind,
        actor=untrusted.text(row.actor),
        text=untrusted.text(row.text),
        alert_id=row.alert_id,
        group_id=row.group_id,
        detail=untrusted.served(row.detail),
    )


def _status_filter(query: Select[Any], column: Any, wanted: StatusFilter | None) -> Select[Any]:
    if wanted == "open":
        return query.where(column != "resolved")
    if wanted is not None:
        return query.where(column == wanted)
    return query


def _page(session: Session, query: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), int(total)


@router.get("/alerts", response_model=AlertPage, summary="List alerts, newest first")
def list_alerts(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    status_: Annotated[StatusFilter | None, Query(alias="status")] = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AlertPage:
    query = _status_filter(select(Alert), Alert.status, status_).order_by(Alert.id.desc())
    if service is not None:
        query = query.where(Alert.service == service)
    with tocsin.database.sessions() as session:
        _check_service_filter(session, service)
        rows, total = _page(session, query, limit, offset)
        return AlertPage(items=[alert_out(row) for row in rows], total=total)


def _events(session: Session, column: Any, value: int) -> list[EventOut]:
    rows = session.scalars(
        select(AlertEvent).where(column == value).order_by(AlertEvent.id).limit(1000)
    )
    return [event_out(row) for row in rows]


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
            raise _not_found("such alert")
        return AlertDetail(
            **alert_out(row).model_dump(), events=_events(session, AlertEvent.alert_id, row.id)
        )


def _act_on_alert(
    tocsin: AlertsRuntimeDep, alert_id: int, action: Action, actor: str, note: str | None
) -> AlertOut:
    with tocsin.database.transaction() as session:
        if session.get(Alert, alert_id) is None:
            raise _not_found("such alert")
        writer = Ingest(session, cache_for(tocsin.database).get(session), tocsin.clock.now())
        change = writer.act(alert_id, action, actor, note)
        writer.flush()
        if change is Change.NOTHING:
            row = session.get(Alert, alert_id)
            assert row is not None
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail=f"alert {alert_id} is {row.status}; it cannot be {action.value}d",
            )
        session.expire_all()
        row = session.get(Alert, alert_id)
        assert row is not None
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
    note = body.note if body else None
    return _act_on_alert(tocsin, alert_id, Action.ACKNOWLEDGE, principal.name, note)


@router.post(
    "/alerts/{alert_id}/resolve",
    response_model=AlertOut,
    summary="Resolve an alert",
    responses=WRITE_RESPONSES,
)
def resolve_alert(
    alert_id: AlertId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> AlertOut:
    note = body.note if body else None
    return _act_on_alert(tocsin, alert_id, Action.RESOLVE, principal.name, note)


# --- groups -------------------------------------------------------------------


def group_out(row: AlertGroup) -> GroupOut:
    return GroupOut(
        id=row.id,
        service=row.service,
        status=row.status,
        title=untrusted.text(row.title),
        rule=untrusted.text(row.rule),
        labels=untrusted.served(row.labels),
        escalation_policy=row.escalation_policy,
        urgency=row.urgency,
        routing_rule=row.routing_rule,
        alert_count=row.alert_count,
        paging=row.paging,
        suppressed_by=row.suppressed_by,
        suppressed_until=row.suppressed_until,
        incident_id=row.incident_id,
        opened_at=row.opened_at,
        last_alert_at=row.last_alert_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=untrusted.optional_text(row.acknowledged_by),
        resolved_at=row.resolved_at,
        outcome=row.outcome,
    )


@router.get("/alert-groups", response_model=GroupPage, summary="List alert groups, newest first")
def list_groups(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    status_: Annotated[Literal["open", "resolved"] | None, Query(alias="status")] = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> GroupPage:
    query = select(AlertGroup).order_by(AlertGroup.id.desc())
    if status_ is not None:
        query = query.where(AlertGroup.status == status_)
    if service is not None:
        query = query.where(AlertGroup.service == service)
    with tocsin.database.sessions() as session:
        _check_service_filter(session, service)
        rows, total = _page(session, query, limit, offset)
        return GroupPage(items=[group_out(row) for row in rows], total=total)


def _group_detail(session: Session, row: AlertGroup) -> GroupDetail:
    alerts = session.scalars(
        select(Alert).where(Alert.group_id == row.id).order_by(Alert.id).limit(1000)
    )
    return GroupDetail(
        **group_out(row).model_dump(),
        alerts=[alert_out(alert) for alert in alerts],
        events=_events(session, AlertEvent.group_id, row.id),
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
            raise _not_found("such alert group")
        return _group_detail(session, row)


def _act_on_group(
    tocsin: AlertsRuntimeDep, group_id: int, action: Action, actor: str, note: str | None
) -> GroupDetail:
    with tocsin.database.transaction() as session:
        if session.get(AlertGroup, group_id) is None:
            raise _not_found("such alert group")
        wanted = "triggered" if action is Action.ACKNOWLEDGE else "resolved"
        query = select(Alert.id).where(Alert.group_id == group_id).order_by(Alert.id)
        if action is Action.ACKNOWLEDGE:
            query = query.where(Alert.status == wanted)
        else:
            query = query.where(Alert.status != wanted)
        writer = Ingest(session, cache_for(tocsin.database).get(session), tocsin.clock.now())
        for alert_id in list(session.scalars(query)):
            writer.act(alert_id, action, actor, note)
        writer.flush()
        session.expire_all()
        row = session.get(AlertGroup, group_id)
        assert row is not None
        return _group_detail(session, row)


@router.post(
    "/alert-groups/{group_id}/acknowledge",
    response_model=GroupDetail,
    summary="Acknowledge every triggered alert of a group",
    responses={404: {"description": "No such group"}},
)
def acknowledge_group(
    group_id: GroupId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> GroupDetail:
    note = body.note if body else None
    return _act_on_group(tocsin, group_id, Action.ACKNOWLEDGE, principal.name, note)


@router.post(
    "/alert-groups/{group_id}/resolve",
    response_model=GroupDetail,
    summary="Resolve every open alert of a group (and so the group)",
    responses={404: {"description": "No such group"}},
)
def resolve_group(
    group_id: GroupId, principal: Responder, tocsin: AlertsRuntimeDep, body: ActionIn | None = None
) -> GroupDetail:
    note = body.note if body else None
    return _act_on_group(tocsin, group_id, Action.RESOLVE, principal.name, note)


@router.get(
    "/alert-accuracy",
    response_model=list[AccuracyOut],
    summary="Alert accuracy per rule: what resolved groups turned out to be, noisiest first",
)
def alert_accuracy(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    since: Annotated[LenientInstant | None, Query(description="Groups opened at or after")] = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
) -> list[AccuracyOut]:
    def count(value: Outcome) -> Any:
        return func.sum((AlertGroup.outcome == value.value).cast(Integer))

    query = (
        select(
            AlertGroup.service,
            AlertGroup.rule,
            func.count(),
            count(Outcome.INCIDENT),
            count(Outcome.ACKNOWLEDGED),
            count(Outcome.NOISE),
        )
        .where(AlertGroup.status == "resolved")
        .group_by(AlertGroup.service, AlertGroup.rule)
    )
    if since is not None:
        query = query.where(AlertGroup.opened_at >= since)
    if service is not None:
        query = query.where(AlertGroup.service == service)
    with tocsin.database.sessions() as session:
        _check_service_filter(session, service)
        rows = [
            AccuracyRow(svc, rule, int(n), int(inc or 0), int(ack or 0), int(noise or 0))
            for svc, rule, n, inc, ack, noise in session.execute(query)
        ]
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
        for row in rank_noisy(rows)
    ]


# --- integrations ---------------------------------------------------------------


def integration_out(listed: integrations.Listed, endpoint: str) -> IntegrationOut:
    config = listed.config
    settings = config.model_dump(
        mode="json",
        exclude_none=True,
        include={"heartbeat", "email", "mapping"},
    )
    return IntegrationOut(
        name=listed.definition.name,
        service=config.service,
        type=config.type,
        description=config.description,
        rate_limit_per_minute=config.rate_limit_per_minute,
        managed_by=listed.definition.managed_by,
        key_env=config.key_env,
        keys=[
            KeyOut(
                hint=key.hint,
                created_at=key.created_at,
                created_by=key.created_by,
                revoked_at=key.revoked_at,
                revoked_by=key.revoked_by,
            )
            for key in listed.keys
        ],
        settings=settings,
        endpoint=endpoint,
    )


def _one(session: Session, name: str, request: Request, tocsin: AlertsRuntime) -> IntegrationOut:
    found = integrations.listing(session, name)
    if not found:
        raise _not_found(f"integration named {name!r}")
    kind = found[0].config.type
    return integration_out(found[0], send_to.endpoint(request, tocsin, kind))


def _with_key(
    session: Session, name: str, key: str, request: Request, tocsin: AlertsRuntime
) -> IntegrationKeyOut:
    session.flush()
    out = _one(session, name, request, tocsin)
    return IntegrationKeyOut(
        integration=out, key=key, endpoint=send_to.endpoint(request, tocsin, out.type, key)
    )


@router.get("/integrations", response_model=list[IntegrationOut], summary="List integrations")
def list_integrations(
    _: Viewer, tocsin: AlertsRuntimeDep, request: Request
) -> list[IntegrationOut]:
    with tocsin.database.sessions() as session:
        return [
            integration_out(listed, send_to.endpoint(request, tocsin, listed.config.type))
            for listed in integrations.listing(session)
        ]


@router.get(
    "/integrations/{name}",
    response_model=IntegrationOut,
    summary="One integration (keys show only their last four characters)",
    responses={404: {"description": "No such integration"}},
)
def get_integration(
    name: IntegrationName, _: Viewer, tocsin: AlertsRuntimeDep, request: Request
) -> IntegrationOut:
    with tocsin.database.sessions() as session:
        return _one(session, name, request, tocsin)


@router.post(
    "/integrations",
    status_code=status.HTTP_201_CREATED,
    response_model=IntegrationKeyOut,
    summary="Create an integration and its first key (shown once)",
    responses={409: {"description": "An integration with that name exists"}},
)
def create_integration(
    body: IntegrationCreate, principal: Admin, tocsin: AlertsRuntimeDep, request: Request
) -> IntegrationKeyOut:
    try:
        config = IntegrationConfig.model_validate(
            body.model_dump(exclude={"name"}, exclude_none=True)
        )
    except ValidationError as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["body", *detail["loc"]],
                    "msg": message_for(detail, IntegrationConfig),
                    "type": detail["type"],
                }
                for detail in error.errors(include_url=False)
            ],
        ) from error
    with tocsin.database.transaction() as session:
        unknown = known_names.undefined_service(session, [body.service])
        if unknown is not None:
            raise _invalid("service", unknown[1])
        try:
            key = integrations.create(
                session,
                body.name,
                config,
                actor=principal.name,
                now=tocsin.clock.now(),
                remote_addr=remote_addr(request),
            )
        except integrations.IntegrationExists as error:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
        return _with_key(session, body.name, key, request, tocsin)


@router.post(
    "/integrations/{name}/rotate",
    response_model=IntegrationKeyOut,
    summary="Revoke the integration's keys and make a new one (shown once)",
    responses={404: {"description": "No such integration"}},
)
def rotate_integration(
    name: IntegrationName, principal: Admin, tocsin: AlertsRuntimeDep, request: Request
) -> IntegrationKeyOut:
    with tocsin.database.transaction() as session:
        try:
            key = integrations.rotate(
                session,
                name,
                actor=principal.name,
                now=tocsin.clock.now(),
                remote_addr=remote_addr(request),
            )
        except integrations.IntegrationNotFound as error:
            raise _not_found(f"integration named {name!r}") from error
        return _with_key(session, name, key, request, tocsin)


@router.post(
    "/integrations/{name}/revoke",
    response_model=RevokedOut,
    summary="Revoke every generated key of the integration",
    responses={404: {"description": "No such integration"}},
)
def revoke_integration(
    name: IntegrationName, principal: Admin, tocsin: AlertsRuntimeDep, request: Request
) -> RevokedOut:
    with tocsin.database.transaction() as session:
        try:
            revoked = integrations.revoke(
                session,
                name,
                actor=principal.name,
                now=tocsin.clock.now(),
                remote_addr=remote_addr(request),
            )
        except integrations.IntegrationNotFound as error:
            raise _not_found(f"integration named {name!r}") from error
    return RevokedOut(integration=name, revoked=revoked)


# --- silences and maintenance windows -------------------------------------------


def silence_out(row: SilenceRow, now: datetime) -> SilenceOut:
    return SilenceOut(
        id=row.id,
        matchers=row.matchers,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        created_at=row.created_at,
        expired_by=row.expired_by,
        active=row.starts_at <= now < row.ends_at,
    )


@router.get("/silences", response_model=list[SilenceOut], summary="List silences")
def list_silences(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    include_expired: Annotated[bool, Query(description="Also silences that ended")] = False,
) -> list[SilenceOut]:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        rows = silences.listing(session, now=now, include_expired=include_expired)
        return [silence_out(row, now) for row in rows]


@router.post(
    "/silences",
    status_code=status.HTTP_201_CREATED,
    response_model=SilenceOut,
    summary="Silence alerts matching every matcher until ends_at",
    responses={422: {"description": "A matcher or a time is invalid; the field is named"}},
)
def create_silence(
    body: SilenceCreate, principal: Responder, tocsin: AlertsRuntimeDep, request: Request
) -> SilenceOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        try:
            row = silences.create(
                session,
                matchers=body.matchers,
                starts_at=body.starts_at or now,
                ends_at=body.ends_at,
                author=principal.name,
                comment=body.comment,
                now=now,
                remote_addr=remote_addr(request),
            )
        except silences.SilenceError as error:
            raise _invalid(error.field, error.message) from error
        return silence_out(row, now)


@router.post(
    "/silences/{silence_id}/expire",
    response_model=SilenceOut,
    summary="End a silence now (held-back groups that are still open page)",
    responses={404: {"description": "No such silence"}},
)
def expire_silence(
    silence_id: SilenceId, principal: Responder, tocsin: AlertsRuntimeDep, request: Request
) -> SilenceOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        row = silences.expire(
            session, silence_id, actor=principal.name, now=now, remote_addr=remote_addr(request)
        )
        if row is None:
            raise _not_found("such silence")
        return silence_out(row, now)


@router.get(
    "/maintenance-windows",
    response_model=list[MaintenanceWindowOut],
    summary="Maintenance windows from configuration",
)
def list_maintenance_windows(_: Viewer, tocsin: AlertsRuntimeDep) -> list[MaintenanceWindowOut]:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        windows = cache_for(tocsin.database).get(session).maintenance_windows
    return [
        MaintenanceWindowOut(
            name=window.name,
            services=sorted(window.services),
            start=window.starts_at,
            end=window.ends_at,
            comment="",
            active=window.starts_at <= now < window.ends_at,
        )
        for window in windows
    ]


# --- user reports -----------------------------------------------------------------


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except Invalid as error:
        raise _invalid(error.field, str(error).removeprefix(f"{error.field}: ")) from error
    except Refusal as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    summary="Report a problem: raise an alert, or declare an incident",
    responses={
        403: {"description": "Declaring an incident (`declare`, or a severity that declares one)"},
        422: {"description": "A field is invalid; it is named"},
    },
)
def report(
    body: ReportIn, principal: Viewer, tocsin: AlertsRuntimeDep, request: Request
) -> ReportOut:
    actor = Actor(principal.name, principal.role == "admin", remote_addr(request))
    new = user_report.Report(
        text=body.text.strip(),
        reporter=principal.name,
        details=body.details,
        service=body.service,
        severity=Severity(body.severity),
        declare=body.declare,
    )
    with _refusals(), tocsin.database.transaction() as session:
        unknown = known_names.undefined_service(session, [body.service] if body.service else [])
        if unknown is not None:
            raise _invalid("service", unknown[1])
        alerting = cache_for(tocsin.database).get(session)
        refused = user_report.refusal(alerting, new, principal.role)
        if refused is not None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=refused)
        done = user_report.report(session, alerting, new, actor, tocsin.clock.now())
    return ReportOut(
        alert_id=done.alert_id,
        group_id=done.group_id,
        incident_id=done.incident_id,
        incident_reference=done.incident_reference,
    )
