"""Integrations and their keys: create, list, rotate, revoke, and find by key.

An integration is a definition of kind ``integration`` (from configuration,
or made here through the API); its keys are rows of ``integration_keys``
holding only a SHA-256 digest. A generated key is 32 lowercase hex characters,
the shape of a PagerDuty routing key, so tools that check the shape accept
it. Rotating revokes every current key of the integration and returns a new
one; revoking leaves the integration without a working generated key (keys
from ``key_env`` are configuration's business and stay as configured).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.alerts.config_schema import INTEGRATION, IntegrationConfig
from tocsin.alerts.configured import Alerting, Integration, key_digest
from tocsin.alerts.statements import FIND_KEY
from tocsin.alerts.tables import IntegrationKey
from tocsin.config.tables import Definition
from tocsin.db.audit import record
from tocsin.db.prepared import prepare


class IntegrationNotFound(Exception):
    pass


class IntegrationExists(Exception):
    pass


def generate_key() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Listed:
    definition: Definition
    config: IntegrationConfig
    keys: list[IntegrationKey]


def _definition(session: Session, name: str) -> Definition | None:
    return session.scalar(
        select(Definition).where(Definition.kind == INTEGRATION, Definition.name == name)
    )


def _add_key(session: Session, name: str, actor: str, now: datetime) -> str:
    key = generate_key()
    session.add(
        IntegrationKey(
            integration=name,
            key_digest=key_digest(key),
            hint=key[-4:],
            created_at=now,
            created_by=actor[:100],
        )
    )
    return key


def _revoke_all(session: Session, name: str, actor: str, now: datetime) -> int:
    result = session.execute(
        update(IntegrationKey)
        .where(IntegrationKey.integration == name, IntegrationKey.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=actor[:100])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def create(
    session: Session,
    name: str,
    config: IntegrationConfig,
    *,
    actor: str,
    now: datetime,
    remote_addr: str | None = None,
) -> str:
    """Define an integration (managed by the API) and return its first key, shown once."""
    if _definition(session, name) is not None:
        raise IntegrationExists(f"an integration named {name!r} already exists")
    session.add(
        Definition(
            kind=INTEGRATION,
            name=name,
            position=0,
            spec=config.model_dump(mode="json", exclude_none=True),
            managed_by=None,
            created_at=now,
            updated_at=now,
        )
    )
    key = _add_key(session, name, actor, now)
    record(
        session,
        at=now,
        actor=actor,
        action="integration.create",
        object_type=INTEGRATION,
        object_key=name,
        detail={"service": config.service, "type": config.type},
        remote_addr=remote_addr,
    )
    return key


def rotate(
    session: Session, name: str, *, actor: str, now: datetime, remote_addr: str | None = None
) -> str:
    """Revoke the integration's current keys and return a new one, shown once."""
    if _definition(session, name) is None:
        raise IntegrationNotFound(f"no integration named {name!r}")
    revoked = _revoke_all(session, name, actor, now)
    key = _add_key(session, name, actor, now)
    record(
        session,
        at=now,
        actor=actor,
        action="integration.rotate",
        object_type=INTEGRATION,
        object_key=name,
        detail={"revoked": revoked},
        remote_addr=remote_addr,
    )
    return key


def revoke(
    session: Session, name: str, *, actor: str, now: datetime, remote_addr: str | None = None
) -> int:
    """Revoke every current key of the integration; returns how many were revoked."""
    if _definition(session, name) is None:
        raise IntegrationNotFound(f"no integration named {name!r}")
    revoked = _revoke_all(session, name, actor, now)
    record(
        session,
        at=now,
        actor=actor,
        action="integration.revoke",
        object_type=INTEGRATION,
        object_key=name,
        detail={"revoked": revoked},
        remote_addr=remote_addr,
    )
    return revoked


def listing(session: Session, name: str | None = None) -> list[Listed]:
    query = select(Definition).where(Definition.kind == INTEGRATION).order_by(Definition.name)
    if name is not None:
        query = query.where(Definition.name == name)
    definitions = list(session.scalars(query))
    keys: dict[str, list[IntegrationKey]] = {}
    if definitions:
        rows = session.scalars(
            select(IntegrationKey)
            .where(IntegrationKey.integration.in_([row.name for row in definitions]))
            .order_by(IntegrationKey.id)
        )
        for row in rows:
            keys.setdefault(row.integration, []).append(row)
    return [
        Listed(row, IntegrationConfig.model_validate(row.spec), keys.get(row.name, []))
        for row in definitions
    ]


_KNOWN_KEYS = "tocsin.alerts.known_keys"


def key_owner(session: Session, alerting: Alerting, key: str) -> str | None:
    """The name of the integration a key belongs to, or None for unknown and revoked keys.

    One indexed lookup by digest (keys from ``key_env`` are in the snapshot),
    done once per transaction: a committer batch carries many requests with
    the same key.
    """
    digest = key_digest(key)
    name = alerting.env_keys.get(digest)
    if name is not None:
        return name
    transaction = session.get_transaction()
    known: tuple[object, dict[str, str | None]] | None = session.info.get(_KNOWN_KEYS)
    if known is None or known[0] is not transaction:
        known = (transaction, {})
        session.info[_KNOWN_KEYS] = known
    if digest not in known[1]:
        connection = session.connection()
        row = prepare(connection, FIND_KEY).first(connection, {"digest": digest})
        known[1][digest] = row[0] if row is not None else None
    found: str | None = known[1][digest]
    return found


def find(session: Session, alerting: Alerting, key: str) -> Integration | None:
    """The integration a key belongs to, or None for unknown and revoked keys."""
    name = key_owner(session, alerting, key)
    return alerting.integrations.get(name) if name is not None else None
