"""Definitions through the API: teams, services, policies, schedules and the rest.

Objects a configuration file manages are read-only here (409 naming the file);
objects made through the API can be created, replaced and deleted. Each kind's
name and body are checked as configuration files check them (the same name
check, model and reference messages), and names it refers to must exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.auth.deps import Admin, Viewer, remote_addr
from tocsin.auth.tables import User
from tocsin.config import changes
from tocsin.config.desired import USER
from tocsin.config.fields import Spec, incident_role_name, object_name
from tocsin.config.organisation import SERVICE, TEAM, ServiceConfig, TeamConfig
from tocsin.config.stored import loaded
from tocsin.config.tables import Definition
from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict, Invalid, NotFound
from tocsin.domain.severity import level_key
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.config_schema import (
    INCIDENT_ROLE,
    SEVERITY,
    IncidentRoleConfig,
    SeverityConfig,
)
from tocsin.oncall.config_schema import SCHEDULE, ScheduleConfig
from tocsin.paging.config_kinds import missing_layer, missing_team_role
from tocsin.paging.config_schema import ESCALATION_POLICY, EscalationPolicyConfig
from tocsin.postmortems.config_schema import POSTMORTEM_TEMPLATE, PostmortemTemplateConfig
from tocsin.statuspage.config_schema import STATUS_PAGE_COMPONENT, ComponentConfig


@dataclass(frozen=True)
class Kind:
    kind: str
    path: str
    title: str
    model: type[Spec]
    example: dict[str, Any]
    #: Severities are listed, typed and with the seed's defaults, by the classify router.
    listed: bool = True
    #: The configuration files' check of this kind's names; returns the name as stored.
    check_name: Callable[[Any], str] = object_name
    #: The body field that carries the name too (it defaults to the name in the path).
    name_field: str | None = None


KINDS = (
    Kind(
        TEAM,
        "teams",
        "team",
        TeamConfig,
        {
            "description": "Payments",
            "members": ["alice", "bob"],
            "roles": {"team_lead": "alice"},
            "escalation_policy": "payments-default",
        },
    ),
    Kind(
        SERVICE,
        "services",
        "service",
        ServiceConfig,
        {
            "description": "Card payments",
            "team": "payments",
            "escalation_policy": "payments-default",
            "runbooks": ["https://runbooks.example.com/checkout"],
            "components": ["Checkout"],
        },
    ),
    Kind(
        ESCALATION_POLICY,
        "escalation-policies",
        "escalation policy",
        EscalationPolicyConfig,
        {
            "steps": [
                {
                    "targets": [{"schedule": "payments-oncall", "layer": "primary"}],
                    "timeout_minutes": 5,
                },
                {"targets": [{"role": "team_lead"}], "timeout_minutes": 10},
            ],
            "repeat": 1,
        },
    ),
    Kind(
        SCHEDULE,
        "schedules",
        "schedule",
        ScheduleConfig,
        {
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "name": "primary",
                    "rotation": "weekly",
                    "handoff_day": "monday",
                    "handoff_time": "10:00",
                    "start": "2026-01-05T10:00:00",
                    "participants": ["alice", "bob", "carol"],
                }
            ],
        },
    ),
    Kind(
        SEVERITY,
        "severities",
        "severity",
        SeverityConfig,
        {
            "level": "SEV-5",
            "name": "Trivial",
            "response_time": "Next business day",
            "communication": "Daily update",
            "escalation": "None",
        },
        listed=False,
        name_field="level",
    ),
    Kind(
        INCIDENT_ROLE,
        "incident-roles",
        "incident role",
        IncidentRoleConfig,
        {"responsibilities": ["Record timeline of events"], "who": "Any team member"},
        check_name=incident_role_name,
    ),
    Kind(
        STATUS_PAGE_COMPONENT,
        "status-page-components",
        "status page component",
        ComponentConfig,
        {"name": "Checkout", "group": "Payments"},
        name_field="name",
    ),
    Kind(
        POSTMORTEM_TEMPLATE,
        "postmortem-templates",
        "postmortem template",
        PostmortemTemplateConfig,
        {"title": "[SEV-n] What broke - date"},
    ),
)


class DefinitionOut(BaseModel):
    name: str
    managed_by: str | None = Field(
        description="The configuration file that owns it (read-only here), or null"
    )
    spec: dict[str, Any]


def store_definition(
    session: Session,
    row: Definition | None,
    kind: str,
    name: str,
    spec: dict[str, Any],
    now: datetime,
) -> tuple[Definition, str]:
    """Replace ``row``'s spec, or (no row) add the definition after the others of its kind.

    Announces the write (:mod:`tocsin.config.changes`) in the same transaction.
    Returns the row and the audit action: ``definition.change`` or ``definition.create``.
    """
    if row is not None:
        row.spec, row.updated_at = spec, now
        changes.announce(session, [row], now)
        return row, "definition.change"
    position = session.scalar(
        select(func.coalesce(func.max(Definition.position) + 1, 0)).where(Definition.kind == kind)
    )
    row = Definition(
        kind=kind,
        name=name,
        position=int(position or 0),
        spec=spec,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    changes.announce(session, [row], now)
    return row, "definition.create"


def _out(row: Definition) -> DefinitionOut:
    return DefinitionOut(name=row.name, managed_by=row.managed_by, spec=row.spec)


def _find(session: Session, kind: str, name: str) -> Definition | None:
    return session.scalar(
        select(Definition).where(Definition.kind == kind, Definition.name == name)
    )


def _stored(session: Session, kind: Kind, name: str) -> Definition | None:
    """The definition a path names: "Scribe" and "technical-lead" name stored roles too."""
    try:
        name = kind.check_name(name)
    except ValueError:
        return None
    return _find(session, kind.kind, name)


def references(kind: str, spec: Spec) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(field path, referred kind, name) for every name a definition refers to."""
    if isinstance(spec, ServiceConfig):
        if spec.team:
            yield ("team",), TEAM, spec.team
        if spec.escalation_policy:
            yield ("escalation_policy",), ESCALATION_POLICY, spec.escalation_policy
        for index, component in enumerate(spec.components):
            yield ("components", index), STATUS_PAGE_COMPONENT, component
    elif isinstance(spec, TeamConfig):
        if spec.escalation_policy:
            yield ("escalation_policy",), ESCALATION_POLICY, spec.escalation_policy
        for index, member in enumerate(spec.members):
            yield ("members", index), USER, member
        for role, holder in spec.roles.items():
            yield ("roles", role), USER, holder
    elif isinstance(spec, EscalationPolicyConfig):
        for s, step in enumerate(spec.steps):
            for t, target in enumerate(step.targets):
                at: tuple[str | int, ...] = ("steps", s, "targets", t)
                if target.user:
                    yield (*at, "user"), USER, target.user
                if target.schedule:
                    yield (*at, "schedule"), SCHEDULE, target.schedule
                if target.team:
                    yield (*at, "team"), TEAM, target.team
    elif isinstance(spec, ScheduleConfig):
        for person in sorted(spec.people()):
            yield ("people",), USER, person


def _target_problems(session: Session, spec: Spec) -> Iterator[dict[str, Any]]:
    """Layers and team roles an escalation policy's targets name that do not exist.

    The messages are configuration validation's (tocsin.paging.config_kinds).
    """
    if not isinstance(spec, EscalationPolicyConfig):
        return
    for s, step in enumerate(spec.steps):
        for t, target in enumerate(step.targets):
            problem, field = None, ""
            if target.schedule is not None and target.layer is not None:
                row = _find(session, SCHEDULE, target.schedule)
                for _, schedule in loaded([row] if row else [], _schedule):
                    problem = missing_layer(target.schedule, target.layer, schedule.layer_names())
                    field = "layer"
            elif target.team is not None and target.role is not None:
                row = _find(session, TEAM, target.team)
                for _, team in loaded([row] if row else [], _team):
                    problem = missing_team_role(target.team, target.role, list(team.roles))
                    field = "role"
            if problem is not None:
                loc = ["body", "steps", s, "targets", t, field]
                yield {"loc": loc, "msg": problem, "type": "reference"}


def _schedule(row: Definition) -> ScheduleConfig:
    return ScheduleConfig.model_validate(row.spec)


def _team(row: Definition) -> TeamConfig:
    return TeamConfig.model_validate(row.spec)


def _exists(session: Session, kind: str, name: str) -> bool:
    if kind == USER:
        return session.scalar(select(User.id).where(User.name == name)) is not None
    return _find(session, kind, name) is not None


def _checked_name(kind: Kind, name: str) -> str:
    """The name as configuration files would store it; 422 naming the path if they refuse it."""
    try:
        return kind.check_name(name)
    except ValueError as error:
        raise Invalid("name", f"invalid {kind.title} name: {error}", where="path") from error


def _validate(kind: Kind, name: str, body: dict[str, Any]) -> Spec:
    data = dict(body)
    if kind.name_field is not None:
        data.setdefault(kind.name_field, name)
    try:
        model = kind.model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {**error, "loc": ("body", *error["loc"])}
                for error in exc.errors(include_url=False, include_context=False)
            ]
        ) from exc
    if kind.name_field is not None and getattr(model, kind.name_field) != name:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"body.{kind.name_field} {getattr(model, kind.name_field)!r} must equal "
            f"the name in the path {name!r}",
        )
    return model


def _same_level(session: Session, kind: Kind, name: str) -> str | None:
    """Another severity with the same label as ``name`` ("sev 1" and "SEV-1"), if any."""
    if kind.kind != SEVERITY:
        return None
    rows = session.scalars(select(Definition.name).where(Definition.kind == kind.kind))
    return next(
        (other for other in rows if other != name and level_key(other) == level_key(name)), None
    )


def _referrers(session: Session, kind: str, name: str) -> list[str]:
    """Definitions that refer to (kind, name), as "service 'checkout'" strings."""
    by_kind = {k.kind: k for k in KINDS}
    rows = session.scalars(
        select(Definition)
        .where(Definition.kind.in_(by_kind))
        .order_by(Definition.kind, Definition.name)
    )
    return [
        f"{by_kind[row.kind].title} {row.name!r}"
        for row, spec in loaded(rows, lambda row: by_kind[row.kind].model.model_validate(row.spec))
        if any(k == kind and n == name for _, k, n in references(row.kind, spec))
    ]


class ManagedByFile(Conflict):
    """The object is a configuration file's: read-only through the API."""

    def __init__(self, title: str, name: str, file: str) -> None:
        super().__init__(
            f"{title} {name!r} is managed by configuration file {file}; "
            "change it there and run tocsin config apply"
        )


def body_schema(model: type[Spec]) -> dict[str, Any]:
    """The JSON schema of ``model`` with its definitions written in place.

    The body is validated by hand (to name fields as configuration files do),
    so the OpenAPI document would otherwise say only "an object".
    """
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


def _check_references(session: Session, kind: Kind, name: str, model: Spec) -> None:
    """422 unless ``model``'s name is a level of its own and every name it refers to exists."""
    same = _same_level(session, kind, name)
    if same is not None:
        raise Invalid("name", f"{name!r} is the same level as {same!r}", where="path")
    missing = [
        {"loc": ["body", *path], "msg": f"unknown {what} {ref!r}", "type": "reference"}
        for path, what, ref in references(kind.kind, model)
        if not _exists(session, what, ref)
    ]
    if missing:
        raise RequestValidationError(missing)
    wrong = list(_target_problems(session, model))
    if wrong:
        raise RequestValidationError(wrong)


def _put(
    session: Session,
    kind: Kind,
    name: str,
    model: Spec,
    *,
    now: datetime,
    actor: str,
    addr: str | None,
) -> Definition:
    """Create or replace the definition ``kind``/``name`` (not a file's), audited."""
    row = _find(session, kind.kind, name)
    if row is not None and row.managed_by:
        raise ManagedByFile(kind.title, name, row.managed_by)
    _check_references(session, kind, name, model)
    spec = model.model_dump(mode="json", exclude_none=True)
    row, action = store_definition(session, row, kind.kind, name, spec, now)
    record(
        session,
        at=now,
        actor=actor,
        action=action,
        object_type=kind.kind,
        object_key=name,
        remote_addr=addr,
    )
    session.flush()
    return row


def _delete(
    session: Session, kind: Kind, name: str, *, now: datetime, actor: str, addr: str | None
) -> None:
    """Delete the definition a path names, unless a file manages it or another refers to it."""
    row = _stored(session, kind, name)
    if row is None:
        raise NotFound(f"no {kind.title} named {name!r}")
    if row.managed_by:
        raise ManagedByFile(kind.title, name, row.managed_by)
    referrers = _referrers(session, kind.kind, row.name)
    if referrers:
        raise Conflict(f"{kind.title} {name!r} is still referred to by {', '.join(referrers)}")
    session.delete(row)
    record(
        session,
        at=now,
        actor=actor,
        action="definition.delete",
        object_type=kind.kind,
        object_key=row.name,
        remote_addr=addr,
    )


def _router_for(kind: Kind) -> APIRouter:
    router = APIRouter(
        prefix=f"/api/v1/{kind.path}", route_class=CheckedRoute, tags=["definitions"]
    )

    def list_all(_: Viewer, tocsin: RuntimeDep) -> list[DefinitionOut]:
        with tocsin.database.sessions() as session:
            rows = session.scalars(
                select(Definition)
                .where(Definition.kind == kind.kind)
                .order_by(Definition.position, Definition.name)
            )
            return [_out(row) for row in rows]

    if kind.listed:
        router.get("", response_model=list[DefinitionOut], summary=f"List every {kind.title}")(
            list_all
        )

    @router.get(
        "/{name}",
        response_model=DefinitionOut,
        summary=f"One {kind.title}",
        responses={404: {"description": f"No such {kind.title}"}},
    )
    def get_one(name: str, _: Viewer, tocsin: RuntimeDep) -> DefinitionOut:
        with tocsin.database.sessions() as session:
            row = _stored(session, kind, name)
            if row is None:
                raise NotFound(f"no {kind.title} named {name!r}")
            return _out(row)

    @router.put(
        "/{name}",
        response_model=DefinitionOut,
        summary=f"Create or replace a {kind.title} (not one a configuration file manages)",
        responses={
            409: {"description": "Managed by a configuration file"},
            422: {"description": "Invalid body or unknown reference"},
        },
        openapi_extra={
            "requestBody": {"content": {"application/json": {"schema": body_schema(kind.model)}}}
        },
    )
    def put(
        name: str,
        principal: Admin,
        tocsin: RuntimeDep,
        request: Request,
        body: dict[str, Any] = Body(openapi_examples={"example": {"value": kind.example}}),
    ) -> DefinitionOut:
        name = _checked_name(kind, name)
        model = _validate(kind, name, body)
        now, addr = tocsin.clock.now(), remote_addr(request)
        with tocsin.database.transaction() as session:
            row = _put(session, kind, name, model, now=now, actor=principal.name, addr=addr)
            return _out(row)

    @router.delete(
        "/{name}",
        status_code=204,
        summary=f"Delete a {kind.title} (not one a configuration file manages)",
        responses={
            404: {"description": f"No such {kind.title}"},
            409: {"description": "Managed by a file, or still referred to"},
        },
    )
    def delete(name: str, principal: Admin, tocsin: RuntimeDep, request: Request) -> None:
        now, addr = tocsin.clock.now(), remote_addr(request)
        with tocsin.database.transaction() as session:
            _delete(session, kind, name, now=now, actor=principal.name, addr=addr)

    return router


ROUTERS = tuple(_router_for(kind) for kind in KINDS)
