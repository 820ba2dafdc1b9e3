"""What a status page tells the public, read once and shared by every output.

A :class:`Snapshot` is everything one page shows: its components with their
statuses and 90-day bars, the roll-up indicator, unresolved and recent
incidents with their updates, and maintenance. The HTML page, the
Statuspage-compatible JSON, the feeds and the static export are all drawn
from it, so they cannot disagree. Only public rows go in: no timeline, no
people, no alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.domain.refusals import NotFound
from tocsin.statuspage import components as component_states
from tocsin.statuspage import publishing, uptime
from tocsin.statuspage.audiences import Audience
from tocsin.statuspage.components import Component, worst
from tocsin.statuspage.config_schema import ComponentStatus, StatusPageSettings
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

#: How many incidents (and maintenances) the lists carry, as Statuspage's API does.
RECENT = 50

#: Statuspage documents four indicators; maintenance alone is "none" with its own description.
INDICATOR_BY_STATUS = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "none",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
INDICATOR_ORDER = ("none", "minor", "major", "critical")
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}


@dataclass(frozen=True)
class Update:
    code: str
    status: str
    body: str
    created_at: datetime
    display_at: datetime
    #: ({"code", "name", "old_status", "new_status"}, ...)
    affected: tuple[dict[str, Any], ...]
    notify: bool


@dataclass(frozen=True)
class Postmortem:
    """The public version of a story's postmortem: its title, Markdown and HTML."""

    title: str
    body: str
    html: str
    published_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Story:
    """A public incident or maintenance, with its updates newest first."""

    code: str
    kind: str
    name: str
    status: str
    impact: str
    components: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    backfilled: bool
    updates: tuple[Update, ...]
    postmortem: Postmortem | None = None

    @property
    def finished(self) -> bool:
        return self.status in publishing.FINISHED

    @property
    def upcoming(self) -> bool:
        return self.kind == publishing.Kind.MAINTENANCE and self.status == "scheduled"

    @property
    def active(self) -> bool:
        """An unresolved incident, or a maintenance under way."""
        return not self.finished and not self.upcoming


@dataclass(frozen=True)
class Snapshot:
    audience: Audience
    settings: StatusPageSettings
    generated_at: datetime
    updated_at: datetime
    components: tuple[Component, ...]
    bars: dict[str, uptime.Bar]
    indicator: str
    description: str
    incidents: tuple[Story, ...]
    maintenances: tuple[Story, ...]

    @property
    def unresolved(self) -> tuple[Story, ...]:
        return tuple(story for story in self.incidents if not story.finished)

    @property
    def upcoming(self) -> tuple[Story, ...]:
        return tuple(story for story in self.maintenances if story.upcoming)

    @property
    def in_progress(self) -> tuple[Story, ...]:
        return tuple(story for story in self.maintenances if story.active)

    @property
    def shown(self) -> tuple[Component, ...]:
        return tuple(component for component in self.components if component.shown)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.time_zone)


def _stories(session: Session, rows: list[PublicIncident]) -> list[Story]:
    found = publishing.updates(session, [row.id for row in rows])
    return [story(row, found[row.id]) for row in rows]


def story(row: PublicIncident, updates: list[PublicUpdate]) -> Story:
    return Story(
        code=row.code,
        kind=row.kind,
        name=row.name,
        status=row.status,
        impact=row.impact,
        components=tuple(str(name) for name in row.components),
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        monitoring_at=row.monitoring_at,
        resolved_at=row.resolved_at,
        scheduled_for=row.scheduled_for,
        scheduled_until=row.scheduled_until,
        backfilled=row.backfilled,
        updates=tuple(
            Update(
                code=update.code,
                status=update.status,
                body=update.body,
                created_at=update.created_at,
                display_at=update.display_at,
                affected=tuple(update.affected_components),
                notify=update.notify,
            )
            for update in updates
        ),
        postmortem=_postmortem(row),
    )


def _postmortem(row: PublicIncident) -> Postmortem | None:
    if row.postmortem_published_at is None or row.postmortem_html is None:
        return None
    return Postmortem(
        title=row.postmortem_title or row.name,
        body=row.postmortem_body or "",
        html=row.postmortem_html,
        published_at=row.postmortem_published_at,
        updated_at=row.postmortem_updated_at or row.postmortem_published_at,
    )


def _visible(audience: Audience, rows: list[PublicIncident]) -> list[PublicIncident]:
    """Incidents a page shows: all on the main page, those listing its components elsewhere."""
    if audience.components is None:
        return rows
    return [row for row in rows if any(audience.shows(name) for name in row.components)]


def recent(session: Session, audience: Audience, kind: str, limit: int = RECENT) -> list[Story]:
    """The most recent public incidents (or maintenances) the page shows, newest first."""
    query = (
        select(PublicIncident)
        .where(PublicIncident.kind == kind)
        .order_by(PublicIncident.started_at.desc(), PublicIncident.id.desc())
    )
    if audience.components is None:
        return _stories(session, list(session.scalars(query.limit(limit))))
    rows = _visible(audience, list(session.scalars(query)))
    return _stories(session, rows[:limit])


def month(session: Session, audience: Audience, first: date, zone: ZoneInfo) -> list[Story]:
    """The incidents and maintenances that started in the month beginning ``first``."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    begin = datetime(first.year, first.month, 1, tzinfo=zone)
    end = datetime(following.year, following.month, 1, tzinfo=zone)
    rows = session.scalars(
        select(PublicIncident)
        .where(PublicIncident.started_at >= begin, PublicIncident.started_at < end)
        .order_by(PublicIncident.started_at.desc(), PublicIncident.id.desc())
    )
    return _stories(session, _visible(audience, list(rows)))


def one(session: Session, audience: Audience, code: str) -> Story:
    row = publishing.find(session, code)
    if not _visible(audience, [row]):
        raise NotFound(f"no public incident or maintenance {code!r} on this page")
    return _stories(session, [row])[0]


def _mentions(
    session: Session, start: datetime, now: datetime
) -> dict[str, list[tuple[datetime, datetime, uptime.Mention]]]:
    rows = session.scalars(
        select(PublicIncident).where(
            PublicIncident.kind == publishing.Kind.INCIDENT,
            PublicIncident.started_at < now,
            or_(PublicIncident.resolved_at.is_(None), PublicIncident.resolved_at >= start),
        )
    )
    found: dict[str, list[tuple[datetime, datetime, uptime.Mention]]] = {}
    for row in rows:
        mention = uptime.Mention(row.code, row.name)
        for name in row.components:
            found.setdefault(str(name), []).append(
                (row.started_at, row.resolved_at or now, mention)
            )
    return found


def indicator(components: tuple[Component, ...], unresolved: tuple[Story, ...]) -> str:
    """Statuspage's roll-up: the worst component status or open incident impact."""
    candidates = [INDICATOR_BY_STATUS[worst(component.status for component in components)]]
    candidates += [story.impact for story in unresolved if story.impact in INDICATOR_ORDER]
    return max(candidates, key=INDICATOR_ORDER.index)


def _description(level: str, components: tuple[Component, ...]) -> str:
    under = any(c.status == ComponentStatus.UNDER_MAINTENANCE for c in components)
    return "Service Under Maintenance" if level == "none" and under else DESCRIPTIONS[level]


def snapshot(
    session: Session, audience: Audience, settings: StatusPageSettings, now: datetime
) -> Snapshot:
    listed = tuple(
        component
        for component in component_states.listing(session, with_proposals=False)
        if audience.shows(component.name)
    )
    zone = ZoneInfo(settings.time_zone)
    start = now - timedelta(days=uptime.DAYS + 1)
    mentions = _mentions(session, start, now)
    bars = {
        component.name: uptime.bar(session, component, now, zone, mentions.get(component.name, []))
        for component in listed
    }
    incidents = tuple(recent(session, audience, publishing.Kind.INCIDENT))
    maintenances = tuple(recent(session, audience, publishing.Kind.MAINTENANCE))
    unresolved = tuple(story for story in incidents if not story.finished)
    level = indicator(listed, unresolved)
    times = [component.changed_at for component in listed]
    times += [story.updated_at for story in incidents + maintenances]
    return Snapshot(
        audience=audience,
        settings=settings,
        generated_at=now,
        updated_at=max(times, default=now),
        components=listed,
        bars=bars,
        indicator=level,
        description=_description(level, listed),
        incidents=incidents,
        maintenances=maintenances,
    )
