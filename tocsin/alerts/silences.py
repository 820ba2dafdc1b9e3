"""Silences: create, list and expire (which ones hold paging back now: :mod:`.suppression`).

Expiring a silence early queues a suppression check for every open group it
held back, so those groups page now instead of when the silence would have
ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.groups import check_suppression
from tocsin.alerts.tables import AlertGroup, SilenceRow
from tocsin.alerts.writer import OPEN
from tocsin.db.audit import record
from tocsin.domain.matchers import MatcherError, parse_all
from tocsin.domain.refusals import Invalid, NotFound
from tocsin.domain.silences import SuppressionKind


class InvalidSilence(Invalid):
    """A silence that cannot be created; ``field`` names the culprit."""


class SilenceNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such silence")


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
        raise InvalidSilence("matchers", "at least one matcher is required")
    try:
        parsed = parse_all(matchers)
    except MatcherError as error:
        raise InvalidSilence("matchers", str(error)) from error
    if ends_at <= starts_at:
        raise InvalidSilence("ends_at", "must be after starts_at")
    if ends_at <= now:
        raise InvalidSilence("ends_at", "must be in the future")
    if not comment.strip():
        raise InvalidSilence("comment", "say why alerts are silenced")
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


def look_again(session: Session, suppressed_by: str, *, at: datetime, now: datetime) -> None:
    """Have each open group held back by ``suppressed_by`` looked at again at ``at``.

    For a hold that ends earlier than the groups were told: an expired silence,
    a maintenance window shortened.
    """
    held = session.scalars(
        select(AlertGroup.id).where(
            AlertGroup.status == OPEN, AlertGroup.suppressed_by == suppressed_by
        )
    )
    for group_id in held:
        check_suppression(session, group_id, at=at, now=now)


def expire(
    session: Session, silence_id: int, *, actor: str, now: datetime, remote_addr: str | None = None
) -> SilenceRow:
    """End a silence now (:class:`SilenceNotFound` if none). Expiring an ended one is a no-op."""
    row = session.scalar(select(SilenceRow).where(SilenceRow.id == silence_id).with_for_update())
    if row is None:
        raise SilenceNotFound()
    if row.ends_at <= now:
        return row
    row.ends_at = now
    row.expired_by = actor
    if row.starts_at > now:
        row.starts_at = now
    look_again(session, f"{SuppressionKind.SILENCE.value} {silence_id}", at=now, now=now)
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
