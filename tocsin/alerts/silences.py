"""Silences: create, list, expire, and the ones in force now.

Expiring a silence early queues a suppression check for every open group it
held back, so those groups page now instead of when the silence would have
ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import statements, timers
from tocsin.alerts.tables import AlertGroup, SilenceRow
from tocsin.db.audit import record
from tocsin.db.prepared import prepare
from tocsin.domain.matchers import MatcherError, parse_all
from tocsin.domain.silences import Silence, SuppressionKind


class SilenceError(Exception):
    """A silence that cannot be created or changed; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def to_domain(row: SilenceRow) -> Silence:
    return Silence(row.id, parse_all(row.matchers), row.starts_at, row.ends_at)


def active(session: Session, now: datetime) -> list[Silence]:
    """Silences in force at ``now`` (the index on ``ends_at`` keeps this to unexpired rows)."""
    rows = session.scalars(
        select(SilenceRow).where(SilenceRow.ends_at > now, SilenceRow.starts_at <= now)
    )
    return [to_domain(row) for row in rows]


_UNEXPIRED = "tocsin.alerts.unexpired_silences"


def active_in_transaction(session: Session, now: datetime) -> list[Silence]:
    """:func:`active`, reading the table once per transaction however many alerts ask.

    Silences not yet ended are read on first use; later calls in the same
    transaction filter them by their own ``now``.
    """
    transaction = session.get_transaction()
    cached = session.info.get(_UNEXPIRED)
    if cached is None or cached[0] is not transaction or now < cached[1]:
        connection = session.connection()
        rows = prepare(connection, statements.UNEXPIRED_SILENCES).all(connection, {"now": now})
        found = [Silence(key, parse_all(texts), starts, ends) for key, texts, starts, ends in rows]
        cached = (transaction, now, found)
        session.info[_UNEXPIRED] = cached
    return [silence for silence in cached[2] if silence.active(now)]


def create(
    session: Session,
    *,
    matchers: Sequence[str],
    starts_at: datetime,
    ends_at: datetime,
    author: str,
    comment: str,
    now: datetime,
    remote_addr: str | None = None,
) -> SilenceRow:
    if not matchers:
        raise SilenceError("matchers", "at least one matcher is required")
    try:
        parsed = parse_all(matchers)
    except MatcherError as error:
        raise SilenceError("matchers", str(error)) from error
    if ends_at <= starts_at:
        raise SilenceError("ends_at", "must be after starts_at")
    if ends_at <= now:
        raise SilenceError("ends_at", "must be in the future")
    if not comment.strip():
        raise SilenceError("comment", "say why alerts are silenced")
    row = SilenceRow(
        matchers=[str(matcher) for matcher in parsed],
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=author,
        comment=comment.strip(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        at=now,
        actor=author,
        action="silence.create",
        object_type="silence",
        object_key=str(row.id),
        detail={"matchers": row.matchers, "ends_at": ends_at.isoformat()},
        remote_addr=remote_addr,
    )
    return row


def listing(session: Session, *, now: datetime, include_expired: bool) -> list[SilenceRow]:
    query = select(SilenceRow).order_by(SilenceRow.ends_at.desc(), SilenceRow.id.desc())
    if not include_expired:
        query = query.where(SilenceRow.ends_at > now)
    return list(session.scalars(query.limit(500)))


def expire(
    session: Session, silence_id: int, *, actor: str, now: datetime, remote_addr: str | None = None
) -> SilenceRow | None:
    """End a silence now; None if there is no such silence. Expiring an ended one is a no-op."""
    row = session.scalar(select(SilenceRow).where(SilenceRow.id == silence_id).with_for_update())
    if row is None:
        return None
    if row.ends_at <= now:
        return row
    row.ends_at = now
    row.expired_by = actor
    if row.starts_at > now:
        row.starts_at = now
    held = session.scalars(
        select(AlertGroup.id).where(
            AlertGroup.status == "open",
            AlertGroup.suppressed_by == f"{SuppressionKind.SILENCE.value} {silence_id}",
        )
    )
    for group_id in held:
        timers.check_suppression(session, group_id, at=now, now=now)
    record(
        session,
        at=now,
        actor=actor,
        action="silence.expire",
        object_type="silence",
        object_key=str(row.id),
        remote_addr=remote_addr,
    )
    return row
