"""Users, the caller's own account, and each person's notification rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.admin.definition_routes import ManagedByFile, store_definition
from tocsin.admin.schemas import UserCreate, UserOut, UserUpdate
from tocsin.auth import accounts
from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Admin, Viewer, remote_addr
from tocsin.auth.roles import allows
from tocsin.auth.tables import User
from tocsin.config import known_names
from tocsin.config.tables import Definition
from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict, Forbidden, NotFound
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.paging.config_schema import NOTIFICATION_RULES, NotificationRulesConfig

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["users"])

#: Fields a PATCH may change but not blank out.
NOT_NULL = ("full_name", "time_zone", "role", "contact_methods")


def change_user(
    session: Session,
    name: str,
    changed: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    remote_addr: str | None,
) -> User:
    """Change the fields in ``changed`` of user ``name``, audited (the API and the console).

    Who may change what is the caller's to check; a user a configuration file
    manages is refused (409), naming the file.
    """
    user = accounts.find_user(session, name)
    if user is None:
        raise _not_found(session, name)
    if user.managed_by:
        raise ManagedByFile("user", name, user.managed_by)
    for field in ("full_name", "email", "time_zone", "role", "contact_methods"):
        if field in changed:
            setattr(user, field, changed[field])
    if "working_hours" in changed:
        user.spec = {**user.spec, "working_hours": changed["working_hours"]}
    user.updated_at = now
    record(
        session,
        at=now,
        actor=actor,
        action="user.change",
        object_type="user",
        object_key=name,
        detail={"fields": sorted(changed)},
        remote_addr=remote_addr,
    )
    return user


def _not_found(session: Session, name: str) -> NotFound:
    return NotFound(known_names.unknown_user(session, name))


RULES_EXAMPLE = {
    "high_urgency": [
        {"method": "push"},
        {"method": "sms", "after_minutes": 2},
        {"method": "voice", "after_minutes": 5},
    ],
    "low_urgency": [{"method": "email"}],
    "quiet_hours": {"start": "22:00", "end": "07:00"},
}


class NotificationRulesOut(BaseModel):
    user: str
    managed_by: str | None = Field(
        description="The configuration file that owns these rules or this person "
        "(read-only here), or null when they are managed by API"
    )
    rules: NotificationRulesConfig = Field(
        description="Empty lists mean the defaults: high urgency notifies every contact "
        "method at once, low urgency the first one"
    )


def _rules_row(session: Session, name: str) -> Definition | None:
    return session.scalar(
        select(Definition).where(Definition.kind == NOTIFICATION_RULES, Definition.name == name)
    )


def _rules_out(user: User, row: Definition | None) -> NotificationRulesOut:
    return NotificationRulesOut(
        user=user.name,
        managed_by=(row.managed_by if row is not None else None) or user.managed_by,
        rules=NotificationRulesConfig.model_validate(row.spec if row is not None else {}),
    )


def _shown(user: User, principal: Principal) -> UserOut:
    """``user`` as ``principal`` may see them: addresses in full for themselves and admins."""
    return UserOut.of(
        user, full_addresses=user.id == principal.user_id or allows(principal.role, "admin")
    )


def _require_self_or_admin(principal: Principal, name: str, verb: str) -> None:
    if name != principal.name and not allows(principal.role, "admin"):
        raise Forbidden(f"only admins may {verb} other users' rules")


@router.get("/me", response_model=UserOut, summary="The authenticated caller")
def me(principal: Viewer, tocsin: RuntimeDep) -> UserOut:
    with tocsin.database.sessions() as session:
        user = session.get(User, principal.user_id)
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="account no longer exists")
        return _shown(user, principal)


@router.get("/users", response_model=list[UserOut], summary="List users")
def list_users(principal: Viewer, tocsin: RuntimeDep) -> list[UserOut]:
    with tocsin.database.sessions() as session:
        users = session.scalars(select(User).order_by(User.name))
        return [_shown(user, principal) for user in users]


@router.get("/users/{name}", response_model=UserOut, summary="One user")
def get_user(name: str, principal: Viewer, tocsin: RuntimeDep) -> UserOut:
    with tocsin.database.sessions() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(session, name)
        return _shown(user, principal)


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user")
def create_user(
    body: UserCreate, principal: Admin, tocsin: RuntimeDep, request: Request
) -> UserOut:
    with tocsin.database.transaction() as session:
        return _shown(
            accounts.create_user(
                session,
                now=tocsin.clock.now(),
                actor=principal.name,
                name=body.name,
                email=body.email,
                role=body.role,
                full_name=body.full_name,
                time_zone=body.time_zone,
                password=body.password,
                remote_addr=remote_addr(request),
            ),
            principal,
        )


@router.patch(
    "/users/{name}",
    response_model=UserOut,
    summary="Change a user (admins: anyone; others: themselves, except their role)",
    responses={409: {"description": "Managed by a configuration file"}},
)
def update_user(
    name: str, body: UserUpdate, principal: Viewer, tocsin: RuntimeDep, request: Request
) -> UserOut:
    is_admin = allows(principal.role, "admin")
    if name != principal.name and not is_admin:
        raise Forbidden("only admins may change other users")
    if body.role is not None and not is_admin:
        raise Forbidden("only admins may change roles")
    changed = body.model_dump(exclude_unset=True, mode="json")
    cleared = sorted(field for field in NOT_NULL if field in changed and changed[field] is None)
    if cleared:
        raise RequestValidationError(
            [
                {"loc": ["body", field], "msg": "may not be null", "type": "null"}
                for field in cleared
            ]
        )
    with tocsin.database.transaction() as session:
        user = change_user(
            session,
            name,
            changed,
            actor=principal.name,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
        return _shown(user, principal)


@router.get(
    "/users/{name}/notification-rules",
    response_model=NotificationRulesOut,
    summary="A person's notification rules (admins: anyone's; others: their own)",
    responses={404: {"description": "No such user"}},
)
def get_notification_rules(
    name: str, principal: Viewer, tocsin: RuntimeDep
) -> NotificationRulesOut:
    _require_self_or_admin(principal, name, "read")
    with tocsin.database.sessions() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(session, name)
        return _rules_out(user, _rules_row(session, name))


@router.put(
    "/users/{name}/notification-rules",
    response_model=NotificationRulesOut,
    summary="Replace a person's notification rules (admins: anyone's; others: their own)",
    responses={
        404: {"description": "No such user"},
        409: {"description": "The person or their rules are managed by a configuration file"},
        422: {"description": "Invalid rules (the error names the field)"},
    },
)
def put_notification_rules(
    name: str,
    principal: Viewer,
    tocsin: RuntimeDep,
    request: Request,
    body: Annotated[
        NotificationRulesConfig, Body(openapi_examples={"example": {"value": RULES_EXAMPLE}})
    ],
) -> NotificationRulesOut:
    _require_self_or_admin(principal, name, "change")
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(session, name)
        row = _rules_row(session, name)
        managed_by = (row.managed_by if row is not None else None) or user.managed_by
        if managed_by:
            owner = "their notification rules are" if row and row.managed_by else "they are"
            raise Conflict(
                f"the notification rules of {name!r} cannot change here: {owner} managed "
                f"by configuration file {managed_by}; set them there (notification_rules: "
                f"{name}: ...) and run tocsin config apply"
            )
        spec = body.model_dump(mode="json", exclude_none=True)
        row, action = store_definition(session, row, NOTIFICATION_RULES, name, spec, now)
        record(
            session,
            at=now,
            actor=principal.name,
            action=action,
            object_type=NOTIFICATION_RULES,
            object_key=name,
            detail={"rules": spec},
            remote_addr=remote_addr(request),
        )
        session.flush()
        return _rules_out(user, row)


@router.delete("/users/{name}", status_code=204, summary="Delete a user")
def delete_user(name: str, principal: Admin, tocsin: RuntimeDep, request: Request) -> None:
    with tocsin.database.transaction() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(session, name)
        if user.managed_by:
            raise ManagedByFile("user", name, user.managed_by)
        if user.id == principal.user_id:
            raise Conflict("you cannot delete yourself")
        rules = _rules_row(session, name)
        if rules is not None and not rules.managed_by:
            # Rules made through the API go with their person (a file's stay with the file).
            session.delete(rules)
        accounts.delete_user(
            session,
            user,
            now=tocsin.clock.now(),
            actor=principal.name,
            remote_addr=remote_addr(request),
        )
