"""Users and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select

from tocsin.api.deps import Admin, TocsinDep, Viewer, remote_addr
from tocsin.api.schemas import UserCreate, UserOut, UserUpdate
from tocsin.auth import accounts
from tocsin.auth.roles import allows
from tocsin.store.audit import record
from tocsin.store.tables import User

router = APIRouter(prefix="/api/v1", tags=["users"])

#: Fields a PATCH may change but not blank out.
NOT_NULL = ("full_name", "time_zone", "role", "contact_methods")


def managed_conflict(kind: str, name: str, managed_by: str) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        detail=f"{kind} {name!r} is managed by configuration file {managed_by}; "
        "change it there and run tocsin config apply",
    )


def _not_found(name: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no user named {name!r}")


@router.get("/me", response_model=UserOut, summary="The authenticated caller")
def me(principal: Viewer, tocsin: TocsinDep) -> UserOut:
    with tocsin.database.sessions() as session:
        user = session.get(User, principal.user_id)
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="account no longer exists")
        return UserOut.of(user)


@router.get("/users", response_model=list[UserOut], summary="List users")
def list_users(_: Viewer, tocsin: TocsinDep) -> list[UserOut]:
    with tocsin.database.sessions() as session:
        return [UserOut.of(user) for user in session.scalars(select(User).order_by(User.name))]


@router.get("/users/{name}", response_model=UserOut, summary="One user")
def get_user(name: str, _: Viewer, tocsin: TocsinDep) -> UserOut:
    with tocsin.database.sessions() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(name)
        return UserOut.of(user)


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user")
def create_user(body: UserCreate, principal: Admin, tocsin: TocsinDep, request: Request) -> UserOut:
    try:
        with tocsin.database.transaction() as session:
            return UserOut.of(
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
                )
            )
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


@router.patch(
    "/users/{name}",
    response_model=UserOut,
    summary="Change a user (admins: anyone; others: themselves, except their role)",
    responses={409: {"description": "Managed by a configuration file"}},
)
def update_user(
    name: str, body: UserUpdate, principal: Viewer, tocsin: TocsinDep, request: Request
) -> UserOut:
    is_admin = allows(principal.role, "admin")
    if name != principal.name and not is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only admins may change other users")
    if body.role is not None and not is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only admins may change roles")
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(name)
        if user.managed_by:
            raise managed_conflict("user", name, user.managed_by)
        changed = body.model_dump(exclude_unset=True, mode="json")
        cleared = sorted(field for field in NOT_NULL if field in changed and changed[field] is None)
        if cleared:
            raise RequestValidationError(
                [
                    {"loc": ["body", field], "msg": "may not be null", "type": "null"}
                    for field in cleared
                ]
            )
        for field in ("full_name", "email", "time_zone", "role", "contact_methods"):
            if field in changed:
                setattr(user, field, changed[field])
        if "working_hours" in changed:
            user.spec = {**user.spec, "working_hours": changed["working_hours"]}
        user.updated_at = now
        record(
            session,
            at=now,
            actor=principal.name,
            action="user.change",
            object_type="user",
            object_key=name,
            detail={"fields": sorted(changed)},
            remote_addr=remote_addr(request),
        )
        return UserOut.of(user)


@router.delete("/users/{name}", status_code=204, summary="Delete a user")
def delete_user(name: str, principal: Admin, tocsin: TocsinDep, request: Request) -> None:
    with tocsin.database.transaction() as session:
        user = accounts.find_user(session, name)
        if user is None:
            raise _not_found(name)
        if user.managed_by:
            raise managed_conflict("user", name, user.managed_by)
        if user.id == principal.user_id:
            raise HTTPException(status.HTTP_409_CONFLICT, detail="you cannot delete yourself")
        accounts.delete_user(
            session,
            user,
            now=tocsin.clock.now(),
            actor=principal.name,
            remote_addr=remote_addr(request),
        )
