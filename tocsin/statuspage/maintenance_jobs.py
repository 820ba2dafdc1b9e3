"""Maintenance that reminds its subscribers, starts and completes on its own.

An hour before it starts, a maintenance whose subscribers were told of it
posts a reminder update (so they are told again).

Scheduling a maintenance with ``auto_transition`` queues two jobs in the same
transaction (:func:`tocsin.statuspage.maintenance.schedule`): one due at
``scheduled_for`` that posts "in progress" (its components go under
maintenance), one due at ``scheduled_until`` that posts "completed" (they
return to operational). Each does nothing when a person got there first: a
maintenance already started is not started again, one completed is not
completed again.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.incidents.editing import Actor
from tocsin.statuspage import components, publishing
from tocsin.statuspage.maintenance import MAINTENANCE_DUE, MaintenanceDue
from tocsin.statuspage.publishing import UpdateDraft
from tocsin.statuspage.tables import PublicIncident

#: Who posts the automatic updates.
AUTHOR = "tocsin"
STARTED_TEXT = (
    "The scheduled maintenance is now in progress. We will post an update when it is done."
)
COMPLETED_TEXT = "The scheduled maintenance has been completed."


def _reminder(session: Session, public: PublicIncident) -> str:
    zone = ZoneInfo(components.settings(session).time_zone)
    start = public.scheduled_for or public.started_at
    end = public.scheduled_until or start
    return (
        f"Reminder: this maintenance starts at {start.astimezone(zone):%H:%M %Z} "
        f"and should be over by {end.astimezone(zone):%H:%M %Z}."
    )


def run_due(ctx: JobContext, due: MaintenanceDue) -> None:
    now = ctx.clock.now()
    with ctx.transaction() as session:
        public = publishing.find(session, due.code, lock=True)
        actor = Actor(AUTHOR, is_admin=True)
        if due.change == "remind" and public.status == "scheduled":
            draft = UpdateDraft("scheduled", _reminder(session, public))
        elif due.change == "start" and public.status == "scheduled":
            draft = UpdateDraft("in_progress", STARTED_TEXT)
        elif due.change == "complete" and public.status in ("in_progress", "verifying"):
            draft = UpdateDraft("completed", COMPLETED_TEXT)
        else:
            return
        publishing.post_update(session, public, draft, actor, now)


def register(registry: HandlerRegistry) -> None:
    registry.register(MAINTENANCE_DUE, run_due)
