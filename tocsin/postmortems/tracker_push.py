"""Pushing action items to issue trackers: the ``postmortems.tracker_push`` job.

Adding or changing an action item (:mod:`tocsin.postmortems.action_items`) calls
:func:`queue` in its transaction: each tracker that takes the item's team gets a
link (:class:`~tocsin.postmortems.tables.TrackerLink`, pending) and a job, and
each tracker already linked gets a job, keyed by the item, the tracker and the
change (its entry in the item's history), so that one change queues one job per tracker.

The job compares the item with what was last sent (``pushed``) and sends only
a real change: a status that came from the tracker itself was recorded as sent
(:mod:`tocsin.postmortems.tracker_sync`), so it is not sent back. Only the job
queued with the link creates the issue (or any later one, once creating it
failed for good): a job that runs while the issue is still being created does
nothing, and the creating job, once done, queues one more if the item changed
meanwhile, or if the new issue's state does not mean the item's status (an item
finished before its issue was created): creating is one request, so that a
retry cannot create a second issue.

A tracker that cannot be reached, or answers 5xx, 408 or 429, is retried by
the engine with backoff; any other 4xx cannot succeed: the tracker's message is
recorded on the link (the item's ``trackers`` in the API) and the job fails for
good. The error stays until an attempt succeeds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure
from tocsin.kernel.clock import Clock
from tocsin.notify.settings import NotifySettings
from tocsin.postmortems import trackers
from tocsin.postmortems.tables import (
    LINK_FAILED,
    LINK_LINKED,
    LINK_PENDING,
    ActionItem,
    TrackerLink,
)
from tocsin.postmortems.tracker_github import GitHub
from tocsin.postmortems.tracker_jira import Jira
from tocsin.postmortems.tracker_webhook import Webhook
from tocsin.postmortems.trackers import Adapter, ItemView, Tracker, TrackerError, Update


@dataclass(frozen=True)
class PushItem:
    """Bring action item ``item_id``'s issue in ``tracker`` in line; ``create``: the first."""

    tracker: str
    item_id: int
    create: bool = False


PUSH = JobKind("postmortems.tracker_push", PushItem)


def adapter_for(tracker: Tracker, clock: Clock) -> Adapter:
    config = tracker.config
    if config.github is not None:
        return GitHub(config.github)
    if config.jira is not None:
        return Jira(config.jira)
    assert config.webhook is not None  # the configuration's check: one block, its type's
    return Webhook(config.webhook, clock)


def view_of(item: ActionItem) -> ItemView:
    """What trackers are told about ``item``."""
    postmortem = f"PM-{item.postmortem_id}" if item.postmortem_id is not None else None
    base = NotifySettings.from_env().public_url
    return ItemView(
        reference=item.reference,
        id=item.id,
        description=item.description,
        owner=item.owner,
        priority=item.priority,
        type=item.type,
        due_date=item.due_date.isoformat() if item.due_date else None,
        team=item.team,
        status=item.status,
        reason=item.reason,
        postmortem=postmortem,
        incident=f"INC-{item.incident_id}" if item.incident_id is not None else None,
        url=f"{base}/postmortems/{postmortem}" if postmortem else None,
    )


def links_of(session: Session, item_ids: Iterable[int]) -> dict[int, list[TrackerLink]]:
    """The tracker links of each item, by tracker name."""
    found: dict[int, list[TrackerLink]] = defaultdict(list)
    wanted = list(item_ids)
    if not wanted:
        return found
    rows = session.scalars(
        select(TrackerLink)
        .where(TrackerLink.action_item_id.in_(wanted))
        .order_by(TrackerLink.action_item_id, TrackerLink.tracker)
    )
    for link in rows:
        found[link.action_item_id].append(link)
    return found


def link(session: Session, item_id: int, tracker: str) -> TrackerLink | None:
    return session.scalar(
        select(TrackerLink).where(
            TrackerLink.action_item_id == item_id, TrackerLink.tracker == tracker
        )
    )


def queue(session: Session, item: ActionItem, change: int, now: datetime) -> None:
    """Queue ``item``'s push to every tracker it goes to (in the caller's transaction).

    ``change`` names the change (its entry in the item's history): one job per change
    and tracker, whoever calls twice.
    """
    configured = trackers.configured(session)
    if not configured:
        return
    linked = {each.tracker for each in links_of(session, [item.id]).get(item.id, [])}
    for tracker in configured:
        create = tracker.name not in linked
        if create and not tracker.takes(item.team):
            continue
        if create:
            session.add(
                TrackerLink(
                    action_item_id=item.id,
                    tracker=tracker.name,
                    state=LINK_PENDING,
                    created_at=now,
                    updated_at=now,
                )
            )
        jobs.enqueue(
            session,
            PUSH,
            PushItem(tracker.name, item.id, create),
            now=now,
            idempotency_key=f"{PUSH.name}:{tracker.name}:{item.id}:{change}",
        )


@dataclass(frozen=True)
class _Found:
    tracker: Tracker
    link_id: int
    key: str | None
    state: str
    remote_state: str | None
    pushed: dict[str, object]
    item: ItemView


def _read(ctx: JobContext, payload: PushItem) -> _Found | None:
    with ctx.database.sessions() as session:
        tracker = trackers.named(session, payload.tracker)
        found = link(session, payload.item_id, payload.tracker)
        item = session.get(ActionItem, payload.item_id)
        if tracker is None or found is None or item is None:
            return None
        return _Found(
            tracker,
            found.id,
            found.key,
            found.state,
            found.remote_state,
            dict(found.pushed or {}),
            view_of(item),
        )


def push(ctx: JobContext, payload: PushItem) -> None:
    """The ``postmortems.tracker_push`` job: create or update the item's issue in one tracker."""
    found = _read(ctx, payload)
    if found is None or not _due(found, payload):
        with ctx.transaction():
            return
    adapter = adapter_for(found.tracker, ctx.clock)
    delivery = f"{found.tracker.name}:{payload.item_id}:{ctx.job.id}"
    try:
        sent = found.item.as_data()
        if found.key is None:
            created = adapter.create(found.item, delivery=delivery)
            key, url, remote = created.key, created.url, created.remote_state
            sent["status"] = created.status
        else:
            key, url = found.key, None
            remote = adapter.update(
                Update(found.key, found.item, found.pushed, found.remote_state, delivery)
            )
    except TrackerError as error:
        _failed(ctx, found, error)
        if error.permanent:
            raise PermanentFailure(str(error)) from None
        raise
    with ctx.transaction() as session:
        now = ctx.clock.now()
        row = session.get(TrackerLink, found.link_id)
        if row is None:
            return
        row.key, row.url = key, url or row.url
        row.state, row.remote_state, row.error = LINK_LINKED, remote, None
        row.pushed, row.updated_at = sent, now
        item = session.get(ActionItem, payload.item_id)
        if item is not None and view_of(item).as_data() != sent:
            jobs.enqueue(
                session,
                PUSH,
                PushItem(found.tracker.name, payload.item_id),
                now=now,
                idempotency_key=f"{PUSH.name}:{found.tracker.name}:{item.id}:after:{ctx.job.id}",
            )


def _due(found: _Found, payload: PushItem) -> bool:
    """Whether this job has anything to send."""
    if found.key is None:
        return payload.create or found.state == LINK_FAILED
    return found.pushed != found.item.as_data()


def _failed(ctx: JobContext, found: _Found, error: TrackerError) -> None:
    """Record the tracker's answer on the link, kept even though the job fails."""
    with ctx.transaction(finish=False) as session:
        row = session.get(TrackerLink, found.link_id)
        if row is None:
            return
        row.error = str(error) if error.permanent else f"{error} (retried later)"
        if error.permanent and row.key is None:
            row.state = LINK_FAILED
        row.updated_at = ctx.clock.now()


def register(registry: HandlerRegistry) -> None:
    registry.register(PUSH, push)
