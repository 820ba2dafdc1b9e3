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
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import AlertGroup
from tocsin.config.organisation import TEAM
from tocsin.config.tables import Definition
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.db import keyset
from tocsin.domain.escalation_run import OPEN_STATES
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.schedule import oncall_at
from tocsin.engine import jobs
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


def _open_incidents(session: Session) -> tuple[list[OpenIncident], dict[str, int]]:
    statuses = sorted(status.value for status in OPEN_STATUSES)
    counts = dict(
        session.execute(
            select(Incident.severity, func.count())
            .where(Incident.status.in_(statuses))
            .group_by(Incident.severity)
        ).all()
    )
    # Most severe first: one short index walk per level, until the page is full.
    levels = [level.level for level in configured.scale(session)]
    levels += sorted(name for name in counts if name not in levels)
    rows: list[Incident] = []
    for level in levels:
        if counts.get(level) and len(rows) < SHOWN:
            found, _ = records.search(
                session,
                records.Filters(statuses=statuses, severities=[level]),
                limit=SHOWN - len(rows),
            )
            rows.extend(sorted(found.rows, key=lambda row: row.detected_at))
    parts = records.parts(session, [row.id for row in rows])
    shown = [OpenIncident(row, parts[row.id].services, parts[row.id].roles) for row in rows]
    return shown, {level: counts[level] for level in levels if counts.get(level)}


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
    unreached = session.execute(
        select(func.coalesce(EscalationRun.service, EscalationRun.policy_name), func.count())
        .where(
            EscalationRun.state.in_(OPEN_STATES),
            EscalationRun.reached_somebody.is_(False),
            EscalationRun.started_at < now - UNREACHED_AFTER,
        )
        .group_by(func.coalesce(EscalationRun.service, EscalationRun.policy_name))
    ).all()
    dead_pages = session.scalar(select(func.count()).where(Page.state == PAGE_DEAD)) or 0
    return Alarms(
        dead_jobs=jobs.count_by_state(session).get("dead", 0),
        dead_pages=int(dead_pages),
        unreached=[(str(name), int(n)) for name, n in unreached],
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
