"""The audit log: every write records who, what, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.store.tables import AuditEntry


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_key: str = "",
    detail: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    """Add an audit entry to the caller's transaction (it commits with the change)."""
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_key=object_key,
            detail=detail or {},
            remote_addr=remote_addr,
        )
    )
