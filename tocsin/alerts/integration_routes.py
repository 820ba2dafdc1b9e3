"""``/api/v1/integrations``: list integrations, create them, rotate and revoke their keys.

Viewers read (keys show only their last four characters); admins create
integrations and manage their keys. A new key is shown once, with the full
address a sending tool uses (:mod:`tocsin.alerts.send_to`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.alerts import integrations, send_to
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.alerts.runtime import AlertsRuntime, AlertsRuntimeDep
from tocsin.alerts.schemas import (
    IntegrationCreate,
    IntegrationKeyOut,
    IntegrationOut,
    KeyOut,
    RevokedOut,
)
from tocsin.auth.deps import Admin, Viewer, remote_addr
from tocsin.config import known_names
from tocsin.config.messages import message_for
from tocsin.domain.refusals import Invalid
from tocsin.http.checked import CheckedRoute

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["alerts"])

IntegrationName = Annotated[str, Path(min_length=1, max_length=200)]


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
        raise integrations.IntegrationNotFound(name)
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


def _config(body: IntegrationCreate) -> IntegrationConfig:
    """The body as an integration's configuration, checked as a configuration file is.

    Its errors are the body's own (422 naming each field, in the words
    ``tocsin config validate`` uses), as if FastAPI had found them.
    """
    try:
        return IntegrationConfig.model_validate(
            body.model_dump(exclude={"name"}, exclude_none=True)
        )
    except ValidationError as error:
        raise RequestValidationError(
            [
                {
                    "loc": ["body", *detail["loc"]],
                    "msg": message_for(detail, IntegrationConfig),
                    "type": detail["type"],
                }
                for detail in error.errors(include_url=False)
            ]
        ) from error


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
    config = _config(body)
    with tocsin.database.transaction() as session:
        unknown = known_names.undefined_service(session, [body.service])
        if unknown is not None:
            raise Invalid("service", unknown[1])
        key = integrations.create(
            session,
            body.name,
            config,
            actor=principal.name,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
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
        key = integrations.rotate(
            session,
            name,
            actor=principal.name,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
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
        revoked = integrations.revoke(
            session,
            name,
            actor=principal.name,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
    return RevokedOut(integration=name, revoked=revoked)
