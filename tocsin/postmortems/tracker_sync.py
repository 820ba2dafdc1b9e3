"""Following issues' statuses back into action items: the poll job and inbound events.

Every ``poll_minutes`` (5 unless configured), the ``postmortems.tracker_poll``
job of each GitHub or Jira tracker reads the state of the issues of its action
items that are not finished, or finished within :data:`REOPEN_WITHIN` (an
issue opened again opens its item again). An issue whose state changed since Tocsin last saw
or set it changes its item's status through
:func:`tocsin.postmortems.action_items.change`, by ``tocsin``: a version of the
postmortem, on the incident's timeline, and it may close the postmortem. The
status is then recorded as the one the tracker has, so it is not pushed back.

Polls are planned when trackers are configured (the composition root calls
:func:`trackers_written`) and each plans the next, at the next multiple of the
interval: two chains of polls meet on the same job, whatever started them.

Inbound events (:mod:`tocsin.postmortems.tracker_routes`) go through
:func:`apply` as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.domain.postmortem_workflow import FINISHED
from tocsin.domain.refusals import NotFound
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.postmortems import action_items, finding, trackers
from tocsin.postmortems.tables import ActionItem, TrackerLink
from tocsin.postmortems.tracker_github import GitHub
from tocsin.postmortems.tracker_jira import Jira
from tocsin.postmortems.trackers import Polled, Remote, Tracker, TrackerError

AUTHOR = "tocsin"
#: How long a finished item's issues are still read: an issue opened again within it
#: opens the item again (and publishes its closed postmortem again).
REOPEN_WITHIN = timedelta(days=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PollTracker:
    """Read the states of ``tracker``'s issues; planned for ``at``."""

    tracker: str
    at: str


POLL = JobKind("postmortems.tracker_poll", PollTracker)


def next_poll(tracker: Tracker, after: datetime) -> datetime:
    """The first multiple of the tracker's interval (since the epoch) later than ``after``."""
    every = timedelta(minutes=tracker.config.poll_minutes)
    return _EPOCH + ((after - _EPOCH) // every + 1) * every


def _plan(session: Session, tracker: Tracker, now: datetime) -> None:
    if tracker.config.type == "webhook":
        return
    at = next_poll(tracker, now)
    when = at.isoformat()
    jobs.enqueue(
        session,
        POLL,
        PollTracker(tracker.name, when),
        now=now,
        run_at=at,
        idempotency_key=f"{POLL.name}:{tracker.name}:{when}",
    )


def trackers_written(session: Session, names: Sequence[str], at: datetime, now: datetime) -> None:
    """Plan the polls of the trackers just configured (those still there)."""
    for name in names:
        tracker = trackers.named(session, name)
        if tracker is not None:
            _plan(session, tracker, now)


def apply(session: Session, found: TrackerLink, remote: Remote, now: datetime) -> ActionItem | None:
    """Apply an issue's state to its item, as ``tocsin``; None when the item is gone.

    The state is recorded as seen, and the status as what the tracker has, so
    the push this change queues sends nothing back for it.
    """
    item = session.get(ActionItem, found.action_item_id)
    if item is None or item.postmortem_id is None:
        return None
    postmortem = finding.find(session, str(item.postmortem_id), lock=True)
    session.refresh(item)
    if remote.status is not None and remote.status != item.status:
        given = {"status": remote.status, "reason": remote.reason}
        action_items.change(session, postmortem, item, given, author=AUTHOR, now=now)
    found.remote_state = remote.remote_state
    pushed = dict(found.pushed or {})
    if pushed:
        pushed.update(status=item.status, reason=item.reason)
    found.pushed = pushed or None
    found.error = None
    found.updated_at = now
    return item


def linked(session: Session, tracker: str, key: str) -> TrackerLink:
    """The link of ``tracker``'s issue ``key``; 404 naming both when there is none."""
    found = session.scalar(
        select(TrackerLink).where(TrackerLink.tracker == tracker, TrackerLink.key == key)
    )
    if found is None:
        raise NotFound(f"issue tracker {tracker!r} has no issue {key!r} linked to an action item")
    return found


def _followed_links(
    session: Session, tracker: str, now: datetime
) -> list[tuple[int, str, str | None, str]]:
    """(link, key, remote state, item status) of the tracker's issues of unfinished items,
    and of items finished within :data:`REOPEN_WITHIN`."""
    rows = session.execute(
        select(TrackerLink.id, TrackerLink.key, TrackerLink.remote_state, ActionItem.status)
        .join(ActionItem, ActionItem.id == TrackerLink.action_item_id)
        .where(
            TrackerLink.tracker == tracker,
            TrackerLink.key.is_not(None),
            or_(
                ActionItem.status.not_in([status.value for status in FINISHED]),
                ActionItem.done_at >= now - REOPEN_WITHIN,
            ),
        )
        .order_by(TrackerLink.id)
    ).all()
    return [(row[0], str(row[1]), row[2], row[3]) for row in rows]


def poll(ctx: JobContext, payload: PollTracker) -> None:
    """The ``postmortems.tracker_poll`` job: read each followed issue, apply what changed."""
    with ctx.database.sessions() as session:
        tracker = trackers.named(session, payload.tracker)
        found = (
            _followed_links(session, payload.tracker, ctx.clock.now())
            if tracker is not None
            else []
        )
    reader = _reader(tracker) if tracker is not None else None
    if tracker is None or reader is None:
        with ctx.transaction():
            return  # no longer configured, or no longer polled: the chain ends
    for link_id, key, seen, status in found:
        try:
            remote = reader.read(key, status)
        except TrackerError as error:
            _record(ctx, link_id, str(error))
            continue
        if remote.remote_state == seen:
            continue
        with ctx.database.transaction() as session:
            row = session.get(TrackerLink, link_id)
            if row is not None:
                apply(session, row, remote, ctx.clock.now())
    with ctx.transaction() as session:
        _plan(session, tracker, max(ctx.clock.now(), datetime.fromisoformat(payload.at)))


def _reader(tracker: Tracker) -> Polled | None:
    """The adapter that reads the tracker's issues back; None for a webhook."""
    if tracker.config.github is not None:
        return GitHub(tracker.config.github)
    if tracker.config.jira is not None:
        return Jira(tracker.config.jira)
    return None


def _record(ctx: JobContext, link_id: int, error: str) -> None:
    with ctx.database.transaction() as session:
        row = session.get(TrackerLink, link_id)
        if row is not None:
            row.error = error
            row.updated_at = ctx.clock.now()


def register(registry: HandlerRegistry) -> None:
    registry.register(POLL, poll)
