"""The history of alerts and alert groups, written with plain INSERTs in the caller's transaction.

Events kinds: ``triggered`` (a new alert), ``repeated`` (a trigger on an open
alert), ``acknowledged``, ``resolved``, ``note``, ``grouped`` (opened or
joined a group), ``suppressed``, ``flapping``, ``incident``, ``paging``,
``unsuppressed`` and ``group_resolved``. A ``triggered`` or ``repeated`` event
keeps the trigger's own body in ``detail["payload"]``
(:meth:`tocsin.domain.alert_body.Body.payload`), since the alert shows the
occurrences merged.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.alerts.statements import Events, deferred_events, deferring_events


def deferred(session: Session) -> Events | None:
    """The events a surrounding :func:`deferring` block will insert, if there is one."""
    return deferred_events(session)


def deferring(session: Session) -> AbstractContextManager[Events]:
    """Gather the events written in this block and insert them in one statement at its end.

    Used by the group committer around a batch: the events go in just before
    the batch commits, instead of one INSERT per request; and by jobs that
    write several events. Inside another such block, the outer one inserts
    them. Nothing in the block may read the events it wrote.
    """
    return deferring_events(session)


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
