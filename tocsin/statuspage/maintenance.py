"""Scheduled maintenance and paging: alerts from its services do not page while it runs.

Each maintenance keeps one maintenance window (the alerting kind
``maintenance_window``, :mod:`tocsin.alerts.suppression` honours it) named
``status-page-<code>``, over the services that name its components, from its
scheduled start to its end. Starting it early or completing it early moves
the window with it. The window is a definition made by Tocsin, not by a
file, so ``tocsin config apply`` leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.config_schema import MAINTENANCE_WINDOW
from tocsin.alerts.silences import look_again
from tocsin.config import changes
from tocsin.config.organisation import SERVICE
from tocsin.config.tables import Definition
from tocsin.domain.silences import SuppressionKind
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.statuspage.tables import PublicIncident


def window_name(public: PublicIncident) -> str:
    return f"status-page-{public.code}"


def services_of(session: Session, components: list[str]) -> list[str]:
    """The services that name any of ``components``, by name."""
    wanted = set(components)
    rows = session.execute(
        select(Definition.name, Definition.spec).where(Definition.kind == SERVICE)
    )
    return sorted(
        name
        for name, spec in rows
        if isinstance(spec, dict) and wanted & {str(c) for c in spec.get("components") or []}
    )


def follow(session: Session, public: PublicIncident, now: datetime) -> None:
    """Make the maintenance's window match it: its services, its start and its end."""
    start = public.scheduled_for
    end = public.scheduled_until
    if start is None or end is None:
        return
    if public.status == "in_progress" and public.started_at < start:
        start = public.started_at
    if public.status == "completed":
        end = min(end, public.resolved_at or now)
    services = services_of(session, [str(name) for name in public.components])
    name = window_name(public)
    row = session.scalar(
        select(Definition).where(Definition.kind == MAINTENANCE_WINDOW, Definition.name == name)
    )
    held_by = f"{SuppressionKind.MAINTENANCE.value} {name}"
    if not services or end <= start:
        if row is not None:
            session.delete(row)
            look_again(session, held_by, at=now, now=now)
        return
    spec = {
        "services": services,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "comment": f"Status page maintenance: {public.name}",
    }
    if row is None:
        row = Definition(kind=MAINTENANCE_WINDOW, name=name, position=0, created_at=now)
        session.add(row)
    elif row.spec == spec:
        return
    row.spec = spec
    row.updated_at = now
    session.flush()
    changes.announce(session, [row], now)
    if end <= now:
        look_again(session, held_by, at=now, now=now)


@dataclass(frozen=True)
class MaintenanceDue:
    """Maintenance ``code`` is due to ``change`` ("remind", "start" or "complete")."""

    code: str
    change: str


MAINTENANCE_DUE = JobKind("statuspage.maintenance.due", MaintenanceDue)


#: How long before a maintenance starts its subscribers are reminded of it.
REMIND_BEFORE = timedelta(hours=1)


def schedule(session: Session, public: PublicIncident, now: datetime, *, notify: bool) -> None:
    """Queue the reminder before a maintenance, and the start and completion of an automatic one.

    The reminder (when subscribers were told of it and it starts more than
    :data:`REMIND_BEFORE` from now) is an update posted an hour before.
    """
    if public.scheduled_for is None:
        return
    due: list[tuple[str, datetime | None]] = []
    if notify and public.scheduled_for - REMIND_BEFORE > now:
        due.append(("remind", public.scheduled_for - REMIND_BEFORE))
    if public.auto_transition:
        due += [("start", public.scheduled_for), ("complete", public.scheduled_until)]
    for change, at in due:
        jobs.enqueue(
            session,
            MAINTENANCE_DUE,
            MaintenanceDue(public.code, change),
            now=now,
            run_at=at,
            idempotency_key=f"{MAINTENANCE_DUE.name}:{public.code}:{change}",
        )
