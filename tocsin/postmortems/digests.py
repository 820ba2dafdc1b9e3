"""Each team's weekly digest of its action items.

Once a week (``postmortems.action_items.digest``: Monday 09:00 UTC by
default; weekday, hour and time zone configurable) every team (configuration
kind ``team``) gets one message per member, or to its team lead only
(``to: team_lead``; a team without one falls back to its members), listing:

- its open items (open or in progress), overdue ones first;
- those due in the next 7 days;
- those finished (done or won't do) in the past week.

A team with no open item and nothing finished that week gets nothing. Items
belong to a team by their ``team`` (see :class:`~tocsin.postmortems.tables.ActionItem`).

How: a durable job chain. One ``action_items.digest`` job per team waits for
the next digest time; when it runs it sends the digest and plans the next.
The chain is started when definitions of teams or the ``postmortems:``
settings are written (the composition root's definition reactions) and when
Tocsin starts (:func:`plan_all`), so it survives restarts; every job's
idempotency key holds the team and its time, so starting it again adds
nothing. A job whose time no longer fits the settings (they changed: their
own chain was started then) or whose team is gone does nothing and plans
nothing. Each message's key holds the team, the ISO week and the person, so a
team's member gets at most one digest a week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.config.organisation import TEAM
from tocsin.config.tables import Definition
from tocsin.config.users import WEEKDAYS
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.postmortems import configured, notices
from tocsin.postmortems.action_item_finding import UNFINISHED
from tocsin.postmortems.config_schema import DigestConfig
from tocsin.postmortems.tables import ActionItem

#: What a digest is, in its message's ``data.event``.
DIGEST_EVENT = "action_item_digest"
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DigestDue:
    """Send ``team``'s digest of the week at ``at``."""

    team: str
    at: str


DIGEST = JobKind("action_items.digest", DigestDue)


def _zone(settings: DigestConfig) -> ZoneInfo:
    return ZoneInfo(settings.time_zone)


def _slot(settings: DigestConfig, day: date) -> datetime:
    """The digest time of local ``day`` (an hour a clock change skips comes out later)."""
    return datetime.combine(day, time(settings.hour), _zone(settings)).astimezone(UTC)


def next_digest(settings: DigestConfig, after: datetime) -> datetime:
    """The first digest time later than ``after`` (the weekday and hour, in the time zone)."""
    day = after.astimezone(_zone(settings)).date()
    day += timedelta(days=(WEEKDAYS.index(settings.weekday) - day.weekday()) % 7)
    while _slot(settings, day) <= after:
        day += WEEK
    return _slot(settings, day)


def fits(settings: DigestConfig, at: datetime) -> bool:
    """Whether ``at`` is a digest time of ``settings``."""
    day = at.astimezone(_zone(settings)).date()
    return WEEKDAYS[day.weekday()] == settings.weekday and _slot(settings, day) == at


def _queue(session: Session, team: str, at: datetime, now: datetime) -> None:
    when = at.astimezone(UTC).isoformat()
    jobs.enqueue(
        session,
        DIGEST,
        DigestDue(team=team, at=when),
        now=now,
        run_at=max(at, now),
        idempotency_key=f"{DIGEST.name}:{team}:{when}",
    )


def plan_all(session: Session, now: datetime) -> None:
    """Start every team's chain at its next digest time (already started ones stay as they are)."""
    settings = configured.settings(session).action_items.digest
    at = next_digest(settings, now)
    for team in session.scalars(select(Definition.name).where(Definition.kind == TEAM)):
        _queue(session, team, at, now)


def definitions_written(
    session: Session, names: Sequence[str], at: datetime, now: datetime
) -> None:
    """Teams or the settings were written: start the chains of new teams, or at new times."""
    plan_all(session, now)


@dataclass(frozen=True)
class Digest:
    """What a team's digest lists, each list in the order it is shown."""

    open: list[ActionItem]
    overdue: int
    due_soon: list[ActionItem]
    finished: list[ActionItem]


def gather(session: Session, team: str, now: datetime, today: date) -> Digest | None:
    """The team's digest as of ``now`` (``today`` in its time zone), or None: nothing to report."""
    rows = session.scalars(
        select(ActionItem)
        .where(
            ActionItem.team == team,
            or_(ActionItem.status.in_(UNFINISHED), ActionItem.done_at >= now - WEEK),
        )
        .order_by(ActionItem.id)
    ).all()
    unfinished = [item for item in rows if item.status in UNFINISHED]
    finished = [item for item in rows if item.status not in UNFINISHED]
    if not unfinished and not finished:
        return None

    def late(item: ActionItem) -> bool:
        return item.due_date is not None and item.due_date < today

    ordered = sorted(
        unfinished, key=lambda item: (not late(item), item.due_date or date.max, item.id)
    )
    soon = [
        item
        for item in ordered
        if item.due_date is not None and today <= item.due_date <= today + WEEK
    ]
    return Digest(ordered, sum(1 for item in ordered if late(item)), soon, finished)


def _line(item: ActionItem, today: date) -> str:
    if item.status not in UNFINISHED:
        when = f"{item.status.replace('_', ' ')} {item.done_at:%Y-%m-%d}" if item.done_at else ""
    elif item.due_date is not None and item.due_date < today:
        when = f"OVERDUE, due {item.due_date}"
    else:
        when = f"due {item.due_date}" if item.due_date else "no due date"
    return (
        f"- {item.reference} ({item.priority}, {item.type}) {when}, "
        f"owner {item.owner or 'nobody'}: {item.description}"
    )


def render(team: str, digest: Digest, today: date) -> tuple[str, str]:
    """The digest's subject and body."""
    subject = f"[Tocsin] Action items of {team}: {len(digest.open)} open, {digest.overdue} overdue"
    sections = [
        (f"Open ({len(digest.open)}), overdue first", digest.open),
        (f"Due in the next 7 days ({len(digest.due_soon)})", digest.due_soon),
        (f"Finished in the past week ({len(digest.finished)})", digest.finished),
    ]
    parts = [f"The action items of team {team}, week of {today}."]
    for title, items in sections:
        lines = [_line(item, today) for item in items] or ["(none)"]
        parts.append("\n".join([f"{title}:", *lines]))
    parts.append("See them in the console at /action-items?team=" + team)
    return subject, "\n\n".join(parts)


def recipients(session: Session, team: str, settings: DigestConfig) -> list[str]:
    """Who gets the team's digest: its members, or its team lead (members without one)."""
    spec = session.scalar(
        select(Definition.spec).where(Definition.kind == TEAM, Definition.name == team)
    )
    if spec is None:
        return []
    members = list(spec.get("members", []))
    lead = spec.get("roles", {}).get("team_lead")
    chosen = [lead] if settings.to == "team_lead" and lead else members
    return [name for name in chosen if find_user(session, name) is not None]


def send(ctx: JobContext, payload: DigestDue) -> None:
    """The ``action_items.digest`` job: the team's digest to each recipient, then the next one."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        settings = configured.settings(session).action_items.digest
        at = datetime.fromisoformat(payload.at)
        exists = session.scalar(
            select(Definition.name).where(Definition.kind == TEAM, Definition.name == payload.team)
        )
        if exists is None or not fits(settings, at):
            return  # the team is gone, or the settings moved the digest: its chain started then
        local = at.astimezone(_zone(settings))
        today = max(now, at).astimezone(_zone(settings)).date()
        digest = gather(session, payload.team, now, today)
        if digest is not None:
            subject, body = render(payload.team, digest, today)
            year, week, _ = local.isocalendar()
            for person in recipients(session, payload.team, settings):
                notices.queue(
                    session,
                    notices.Notice(
                        user=person,
                        subject=subject,
                        body=body,
                        event=DIGEST_EVENT,
                        team=payload.team,
                    ),
                    key=f"{DIGEST_EVENT}:{payload.team}:{year}-W{week:02d}:{person}",
                    now=now,
                )
        _queue(session, payload.team, next_digest(settings, max(at, now)), now)


def register(registry: HandlerRegistry) -> None:
    registry.register(DIGEST, send)
