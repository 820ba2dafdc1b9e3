"""Histories written straight into the tables, as the metrics read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.auth.tables import User
from tocsin.config.organisation import SERVICE, TEAM
from tocsin.config.tables import Definition
from tocsin.domain.lifecycle import IncidentTimes, Milestones, Status
from tocsin.domain.metric_calendar import after_hours_in
from tocsin.incidents.tables import Incident, IncidentService
from tocsin.paging.tables import EscalationRun, Page
from tocsin.postmortems.tables import ActionItem, Postmortem

#: Monday 2026-06-01 00:00 UTC.
MONDAY = datetime(2026, 6, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return MONDAY + timedelta(minutes=minutes)


def add_incident(
    session: Session,
    times: IncidentTimes,
    *,
    severity: str = "SEV-3",
    source: str = "manual",
    services: Sequence[str] = (),
) -> Incident:
    """An incident with the milestones and status of ``times``."""
    milestones = times.milestones
    incident = Incident(
        title="Checkout is failing",
        summary="",
        status=times.status.value,
        severity=severity,
        drill=times.drill,
        source=source,
        created_by="test",
        impact_started_at=milestones.impact_started_at,
        detected_at=milestones.detected_at,
        declared_at=milestones.detected_at,
        acknowledged_at=milestones.acknowledged_at,
        mitigated_at=milestones.mitigated_at,
        resolved_at=milestones.resolved_at,
        closed_at=milestones.closed_at,
        reopen_count=milestones.reopen_count,
        links=[],
        custom_fields={},
        created_at=milestones.detected_at,
        updated_at=milestones.detected_at,
    )
    session.add(incident)
    session.flush()
    for name in services:
        session.add(IncidentService(incident_id=incident.id, name=name))
    return incident


def resolved(
    detected: datetime,
    *,
    impact: timedelta | None = None,
    ack: timedelta | None = None,
    resolve: timedelta | None = None,
    status: Status = Status.RESOLVED,
    drill: bool = False,
) -> IncidentTimes:
    """An incident detected at ``detected``, its milestones given as times after it."""
    return IncidentTimes(
        status=status,
        milestones=Milestones(
            detected_at=detected,
            impact_started_at=None if impact is None else detected - impact,
            acknowledged_at=None if ack is None else detected + ack,
            resolved_at=None if resolve is None else detected + resolve,
        ),
        drill=drill,
    )


def _zone(session: Session, person: str) -> str | None:
    return session.scalar(select(User.time_zone).where(User.name == person))


def add_page(
    session: Session,
    person: str,
    sent: datetime,
    *,
    service: str | None = "checkout",
    incident: Incident | None = None,
) -> Page:
    """A page to ``person`` at ``sent`` from an escalation of ``service`` (and ``incident``)."""
    run = EscalationRun(
        subject_type="incident" if incident is not None else "manual",
        subject_key=f"{person}-{sent.isoformat()}",
        title="Checkout is failing",
        incident_id=None if incident is None else incident.id,
        service=service,
        policy_name="default",
        policy={},
        urgency="high",
        state="resolved",
        started_at=sent,
        updated_at=sent,
    )
    session.add(run)
    session.flush()
    page = Page(
        run_id=run.id,
        user_name=person,
        step_index=0,
        title=run.title,
        urgency="high",
        state="closed",
        created_at=sent,
        after_hours=after_hours_in(
            sent, session.scalar(select(User.time_zone).where(User.name == person))
        ),
    )
    session.add(page)
    return page


def add_user(session: Session, name: str, time_zone: str) -> None:
    session.add(User(name=name, time_zone=time_zone, created_at=MONDAY, updated_at=MONDAY))


def define(session: Session, teams: dict[str, Sequence[str]]) -> None:
    """Teams and the services each owns, as configuration would define them."""
    position = 0
    for team, services in teams.items():
        session.add(
            Definition(
                kind=TEAM, name=team, position=0, spec={}, created_at=MONDAY, updated_at=MONDAY
            )
        )
        for service in services:
            position += 1
            session.add(
                Definition(
                    kind=SERVICE,
                    name=service,
                    position=position,
                    spec={"team": team},
                    created_at=MONDAY,
                    updated_at=MONDAY,
                )
            )


def forget_history(session: Session) -> None:
    """Delete what these helpers wrote (incidents are never deleted otherwise)."""
    for table in (
        ActionItem,
        Postmortem,
        Page,
        EscalationRun,
        Alert,
        AlertGroup,
        IncidentService,
        Incident,
        Definition,
        User,
    ):
        session.execute(delete(table))


def add_postmortem(
    session: Session,
    incident: Incident,
    due: datetime,
    *,
    published: datetime | None = None,
    required: bool = True,
) -> Postmortem:
    """The incident's postmortem, due at ``due`` and published at ``published`` (or not)."""
    postmortem = Postmortem(
        incident_id=incident.id,
        status="draft" if published is None else "published",
        required=required,
        due_at=due,
        version=1,
        content={},
        created_at=due - timedelta(hours=48),
        created_by="test",
        updated_at=due,
        published_at=published,
    )
    session.add(postmortem)
    session.flush()
    return postmortem


def add_item(
    session: Session,
    created: datetime,
    *,
    status: str = "open",
    team: str | None = None,
    due: date | None = None,
    done: datetime | None = None,
    incident: Incident | None = None,
) -> ActionItem:
    """An action item created at ``created`` (finished at ``done`` when done or won't do)."""
    item = ActionItem(
        incident_id=None if incident is None else incident.id,
        description="Add a canary stage",
        priority="P2",
        type="prevent",
        due_date=due,
        status=status,
        team=team,
        reason="superseded" if status == "wont_do" else None,
        created_at=created,
        created_by="test",
        updated_at=done or created,
        done_at=done,
    )
    session.add(item)
    return item
