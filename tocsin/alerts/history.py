"""The history of alerts and alert groups, written with plain INSERTs in the caller's transaction.

Events kinds: ``triggered`` (a new alert), ``repeated`` (a trigger on an open
alert), ``acknowledged``, ``resolved``, ``note``, ``grouped`` (opened or
joined a group), ``suppressed``, ``flapping``, ``incident``, ``paging``,
``unsuppressed`` and ``group_resolved``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.alerts.statements import INSERT_EVENTS

_MAX_TEXT = 2000


class Events:
    """Events gathered while handling one request, inserted together with :meth:`flush`."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        at: datetime,
        kind: str,
        actor: str,
        text: str,
        *,
        alert_id: int | None = None,
        group_id: int | None = None,
        **detail: Any,
    ) -> None:
        self.rows.append(
            {
                "alert_id": alert_id,
                "group_id": group_id,
                "at": at,
                "kind": kind,
                "actor": actor[:100],
                "text": text[:_MAX_TEXT],
                "detail": detail,
            }
        )

    def flush(self, session: Session) -> None:
        if self.rows:
            session.connection().execute(INSERT_EVENTS, self.rows)
            self.rows = []


def record(
    session: Session,
    at: datetime,
    kind: str,
    actor: str,
    text: str,
    *,
    alert_id: int | None = None,
    group_id: int | None = None,
    **detail: Any,
) -> None:
    """Write one event now."""
    events = Events()
    events.add(at, kind, actor, text, alert_id=alert_id, group_id=group_id, **detail)
    events.flush(session)
