"""The job handlers Tocsin ships, gathered into one registry, and how capabilities hook in.

Capabilities talk through job kinds: paging handles the jobs alerts queue
(``alert_group.opened``, ``alert_group.changed``) and incidents queue
(``incident.stakeholders``). ``incident.changed`` is followed by three
capabilities, here in one transaction: paging (the incident's escalation),
the status page (components of services published automatically, and the
communications' deadlines a severity change moves) and postmortems (drafted
when an incident whose severity requires one resolves). Formal
declaration runs named hooks, given here, once per registry.
"""

from __future__ import annotations

from tocsin.alerts import handlers as alert_handlers
from tocsin.app import definition_reactions
from tocsin.engine.registry import HandlerRegistry, JobContext, batched
from tocsin.incidents import declaration
from tocsin.incidents.changes import INCIDENT_CHANGED, IncidentChanged
from tocsin.metrics import alert_quality, frequency, rollups
from tocsin.oncall import handoff
from tocsin.paging import subjects
from tocsin.paging import triggers as paging
from tocsin.postmortems import action_item_reminders, digests, tracker_push, tracker_sync
from tocsin.postmortems import creation as postmortems
from tocsin.postmortems import meetings as postmortem_meetings
from tocsin.postmortems import notices as postmortem_notices
from tocsin.postmortems import reminders as postmortem_reminders
from tocsin.statuspage import (
    automatic,
    cadence,
    communications,
    maintenance_jobs,
    messages,
    reports,
    subscriber_delivery,
)
from tocsin.statuspage import export as status_export


@batched
def incident_changed(ctx: JobContext, changed: IncidentChanged) -> None:
    """``incident.changed``: paging follows the escalation, the status page its components,
    postmortems draft one when a required incident resolves."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        subjects.follow_incident(session, changed, now)
        automatic.follow_incident(session, changed, now)
        communications.follow_incident(session, changed, now)
        postmortems.follow_incident(session, changed, now)


def builtin_registry() -> HandlerRegistry:
    """A registry with every built-in handler; capabilities add theirs here."""
    registry = HandlerRegistry()
    declaration.register(registry, declaration.FormalDeclaration([paging.DECLARATION_HOOK]))
    alert_handlers.register(registry)
    paging.register(registry)
    handoff.register(registry)
    definition_reactions.register(registry)
    maintenance_jobs.register(registry)
    registry.register(INCIDENT_CHANGED, incident_changed)
    status_export.register(registry)
    subscriber_delivery.register(registry)
    cadence.register(registry)
    reports.register(registry)
    messages.register(registry)
    postmortem_reminders.register(registry)
    postmortem_notices.register(registry)
    postmortem_meetings.register(registry)
    action_item_reminders.register(registry)
    digests.register(registry)
    tracker_push.register(registry)
    tracker_sync.register(registry)
    rollups.register(registry, (alert_quality.FAMILY, frequency.FAMILY))
    return registry
