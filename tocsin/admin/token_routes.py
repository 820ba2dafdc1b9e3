"""API tokens: created once and shown once, listed by prefix, revoked."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.admin.schemas import TokenCreate, TokenCreated, TokenOut
from tocsin.auth import accounts
from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Viewer, remote_addr
from tocsin.auth.roles import allows
from tocsin.auth.tables import ApiToken, User
from tocsin.config import known_names
from tocsin.domain.refusals import Forbidden, NotFound
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import Id
from tocsin.http.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1/tokens", route_class=CheckedRoute, tags=["tokens"])


def _out(token: ApiToken, user: str) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        user=user,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.post(
    "",
    response_model=TokenCreated,
    status_code=201,
    summary="Create an API token (its value is shown only in this answer)",
)
def create_token(
    body: TokenCreate, principal: Viewer, tocsin: RuntimeDep, request: Request
) -> TokenCreated:
    with tocsin.database.transaction() as session:
        owner_name = body.user or principal.name
        if owner_name != principal.name and not allows(principal.role, "admin"):
            raise Forbidden("only admins may create tokens for other users")
        owner = accounts.find_user(session, owner_name)
        if owner is None:
            raise NotFound(known_names.unknown_user(session, owner_name))
        token, plain = accounts.create_token(
            session,
            owner,
            now=tocsin.clock.now(),
            actor=principal.name,
            name=body.name,
            remote_addr=remote_addr(request),
        )
        return TokenCreated(**_out(token, owner.name).model_dump(), token=plain)


@router.get(
    "", response_model=list[TokenOut], summary="List tokens: your own, or everyone's for admins"
)
def list_tokens(principal: Viewer, tocsin: RuntimeDep) -> list[TokenOut]:
    with tocsin.database.sessions() as session:
        query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
        if not allows(principal.role, "admin"):
            query = query.where(ApiToken.user_id == principal.user_id)
        return [_out(token, name) for token, name in session.execute(query.order_by(ApiToken.id))]


@router.delete("/{token_id}", status_code=204, summary="Revoke a token")
def revoke_token(token_id: Id, principal: Viewer, tocsin: RuntimeDep, request: Request) -> None:
    with tocsin.database.transaction() as session:
        revoke(
            session, token_id, principal, now=tocsin.clock.now(), remote_addr=remote_addr(request)
        )


def revoke(
    session: Session,
    token_id: int,
    principal: Principal,
    *,
    now: datetime,
    remote_addr: str | None,
) -> None:
    """Revoke a token of the caller's own, or anybody's for an admin; 404 for any other."""
    token = session.get(ApiToken, token_id)
    mine = token is not None and token.user_id == principal.user_id
    if token is None or not (mine or allows(principal.role, "admin")):
        raise NotFound(f"no token {token_id}")
    accounts.revoke_token(session, token, now=now, actor=principal.name, remote_addr=remote_addr)
