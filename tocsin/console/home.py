"""The home page: what needs the signed-in person now.

In the order a responder woken at 3 a.m. needs it: their own pages still
waiting for an answer (acknowledge in one tap), open incidents most severe
first with their age and role holders, firing alert groups, who is on call
now for their teams, and, for admins, what is broken in Tocsin itself
(dead jobs, pages that reached nobody).

Every read walks an index in its list's order and stops at a few rows, so the
page costs the same at a million alerts (``bench/console.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import AlertGroup
from tocsin.config.organisation import TEAM
from tocsin.config.tables import Definition
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.db import keyset
from tocsin.domain.escalation_run import RunState
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.schedule import oncall_at
from tocsin.engine.tables import Job
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import configured, records
from tocsin.incidents.tables import Incident, IncidentRoleHolder
from tocsin.oncall import schedules
from tocsin.oncall.config_schema import ScheduleConfig
from tocsin.paging import acks
from tocsin.paging.tables import PAGE_DEAD, PAGE_OPEN, EscalationRun, Page

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

#: How many rows each part of the home page shows; each links to its full list.
SHOWN = 10
#: An escalation still reaching nobody after this long is an admin alarm.
UNREACHED_AFTER = timedelta(minutes=1)
#: The newest escalations reaching nobody that the alarm reads (a storm shows as these).
UNREACHED_READ = 200


@dataclass(frozen=True)
class OpenIncident:
    incident: Incident
    services: list[str]
    roles: list[IncidentRoleHolder]


@dataclass(frozen=True)
class Shift:
    schedule: str
    layer: str
    person: str | None
    until: datetime | None


@dataclass
class Alarms:
    dead_jobs: int = 0
    dead_pages: int = 0
    #: Open escalations that have paged nobody yet: (service or policy, count).
    unreached: list[tuple[str, int]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.dead_jobs or self.dead_pages or self.unreached)


def _my_pages(session: Session, viewer: Viewer) -> list[Page]:
    query = (
        select(Page)
        .where(Page.user_name == viewer.name, Page.state == PAGE_OPEN)
        .order_by(Page.id.desc())
        .limit(SHOWN)
    )
    return list(session.scalars(query))


#: Open incidents read to sort by severity; more than this many open at once is a storm
#: the incident list's filters serve better (the counts then say "N+").
OPEN_READ = 1000


def _open_incidents(session: Session) -> tuple[list[OpenIncident], dict[str, int]]:
    """The most severe open incidents (oldest first within a level), and counts per level."""
    statuses = sorted(status.value for status in OPEN_STATUSES)
    found = session.execute(
        select(Incident.id, Incident.severity, Incident.detected_at)
        .where(Incident.status.in_(statuses))
        .order_by(Incident.detected_at.desc(), Incident.id.desc())
        .limit(OPEN_READ)
    ).all()
    levels = [level.level for level in configured.scale(session)]
    rank = {level: n for n, level in enumerate(levels)}
    counts: dict[str, int] = {}
    for _, severity, _ in found:
        counts[severity] = counts.get(severity, 0) + 1
    most_severe = sorted(found, key=lambda row: (rank.get(row[1], len(rank)), row[1], row[2]))
    ids = [row[0] for row in most_severe[:SHOWN]]
    by_id = {row.id: row for row in session.scalars(select(Incident).where(Incident.id.in_(ids)))}
    parts = records.parts(session, ids)
    shown = [OpenIncident(by_id[i], parts[i].services, parts[i].roles) for i in ids]
    ordered = sorted(counts, key=lambda level: (rank.get(level, len(rank)), level))
    return shown, {level: counts[level] for level in ordered}


def _firing(session: Session) -> tuple[list[AlertGroup], keyset.Count]:
    query = select(AlertGroup).where(AlertGroup.status == "open")
    count = keyset.capped_count(session, query)
    shown = list(session.scalars(query.order_by(AlertGroup.id.desc()).limit(SHOWN)))
    return shown, count


def _people(config: ScheduleConfig) -> set[str]:
    people = {person for layer in config.layers or () for person in layer.participants}
    for week in config.weeks or ():
        people.update(week.values())
    return people


def _my_teammates(session: Session, viewer: Viewer) -> set[str]:
    teammates: set[str] = set()
    for spec in session.scalars(select(Definition.spec).where(Definition.kind == TEAM)):
        members = set(spec.get("members") or ())
        if viewer.name in members:
            teammates |= members
    return teammates


def _oncall_now(session: Session, viewer: Viewer, now: datetime) -> tuple[list[Shift], bool]:
    """Who holds each layer now, for the schedules of the viewer's teams (all when none)."""
    loaded = schedules.load_all(session, (now - timedelta(days=1), now + timedelta(days=1)))
    teammates = _my_teammates(session, viewer)
    mine = [each for each in loaded if _people(each.config) & teammates]
    chosen = mine or loaded
    shifts = [
        Shift(each.name, on.layer, on.person, on.end)
        for each in chosen
        for on in oncall_at(each.schedule, now)
    ]
    return shifts, bool(mine)


def _alarms(session: Session, now: datetime) -> Alarms:
    def count(query: Select[Any]) -> int:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    stuck = (
        select(func.coalesce(EscalationRun.service, EscalationRun.policy_name).label("name"))
        .where(
            EscalationRun.state == RunState.ACTIVE.value,
            EscalationRun.reached_somebody.is_(False),
            EscalationRun.started_at < now - UNREACHED_AFTER,
        )
        .order_by(EscalationRun.id.desc())
        .limit(UNREACHED_READ)
    )
    unreached: dict[str, int] = {}
    for name in session.scalars(stuck):
        unreached[str(name)] = unreached.get(str(name), 0) + 1
    return Alarms(
        dead_jobs=count(select(Job.id).where(Job.state == "dead")),
        dead_pages=count(select(Page.id).where(Page.state == PAGE_DEAD)),
        unreached=sorted(unreached.items()),
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        my_pages = _my_pages(session, viewer)
        incidents, by_severity = _open_incidents(session)
        groups, firing = _firing(session)
        shifts, for_my_teams = _oncall_now(session, viewer, now)
        alarms = _alarms(session, now) if viewer.is_admin else None
    return page(
        request,
        "home.html",
        viewer,
        {
            "now": now,
            "my_pages": my_pages,
            "incidents": incidents,
            "by_severity": by_severity,
            "groups": groups,
            "firing": firing,
            "shifts": shifts,
            "for_my_teams": for_my_teams,
            "alarms": alarms,
        },
    )


@router.post("/pages/{page_id}/acknowledge")
def acknowledge(
    viewer: Responding,
    tocsin: RuntimeDep,
    page_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Response:
    """Acknowledge one of the home page's pages: its escalation stops paging anybody."""
    with tocsin.database.transaction() as session:
        acks.acknowledge(session, page_id, viewer.name, tocsin.clock.now())
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
