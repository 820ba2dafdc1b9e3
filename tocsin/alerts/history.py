"""The history of alerts and alert groups, written with plain INSERTs in the caller's transaction.

Events kinds: ``triggered`` (a new alert), ``repeated`` (a trigger on an open
alert), ``acknowledged``, ``resolved``, ``note``, ``grouped`` (opened or
joined a group), ``suppressed``, ``flapping``, ``incident``, ``paging``,
``unsuppressed`` and ``group_resolved``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.alerts.statements import hot

_MAX_TEXT = 2000
_DEFERRED = "tocsin.alerts.deferred_events"


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
            connection = session.connection()
            hot(connection).insert_events.run_many(connection, self.rows)
            self.rows = []


def deferred(session: Session) -> Events | None:
    """The events a surrounding :func:`deferring` block will insert, if there is one."""
    found: Events | None = session.info.get(_DEFERRED)
    return found


@contextmanager
def deferring(session: Session) -> Iterator[Events]:
    """Gather the events of every request in this block and insert them in one statement.

    Used by the group committer around a batch: the events go in just before
    the batch commits, instead of one INSERT per request; and by jobs that
    write several events. Inside another such block, the outer one inserts
    them. Nothing in the block may read the events it wrote.
    """
    outer = deferred(session)
    if outer is not None:
        yield outer
        return
    events = Events()
    session.info[_DEFERRED] = events
    try:
        yield events
        events.flush(session)
    finally:
        session.info.pop(_DEFERRED, None)


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
    """Write one event, now or (inside :func:`deferring`) with the others."""
    events = deferred(session)
    if events is not None:
        events.add(at, kind, actor, text, alert_id=alert_id, group_id=group_id, **detail)
        return
    events = Events()
    events.add(at, kind, actor, text, alert_id=alert_id, group_id=group_id, **detail)
    events.flush(session)
