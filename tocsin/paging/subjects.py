"""Keeping an escalation and what it escalates (its subject) in step, both ways.

**Subject to escalation.** An alert group or incident resolved or acknowledged
elsewhere (an alert's "resolved" signal, the incident API) stops its
escalation at once: the change queues a job (``alert_group.changed``,
``incident.changed``) that calls :func:`synchronise`, and step and delivery
jobs call it too before they act, so nothing is paged for a subject that no
longer needs anyone. An incident is acknowledged when it first leaves
triage (after its escalation started). An alert
group acknowledged before the escalation was re-activated (re-triggered by
the acknowledgement timeout, escalated now, re-assigned) does not stop it
again: that acknowledgement is the one the re-activation overrode.

**Escalation to subject.** Acknowledging an escalation (a page's link, the
API, ``tocsin ack``) goes through :func:`acknowledge`, which also
acknowledges its subject, as PagerDuty does:

- an alert group: its triggered alerts become acknowledged (each with an
  ``acknowledged`` event in its history) and the group records its first
  acknowledgement, which alert accuracy and time-to-acknowledge read;
- an incident still in triage moves to responding ("someone took it on"),
  which stamps its acknowledged milestone (MTTA); an incident past triage
  only gets the acknowledgement on its timeline (every escalation event goes
  there anyway). The incident an alert group declared is acknowledged with
  its group in the same way: the group and its incident are one problem.

The two directions cannot loop: :func:`synchronise` acknowledges the run
with :func:`tocsin.paging.runs.acknowledge`, never with :func:`acknowledge`,
and acknowledging a subject never touches escalations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.alerts import handover
from tocsin.domain.escalation_run import RunState
from tocsin.domain.lifecycle import Status
from tocsin.domain.refusals import NotFound
from tocsin.domain.timeline import EntryKind
from tocsin.engine.registry import JobContext, batched
from tocsin.incidents import records
from tocsin.incidents.changes import ESCALATION_CHANGES, IncidentChanged
from tocsin.incidents.editing import Actor
from tocsin.incidents.status_changes import change_status
from tocsin.incidents.tables import Incident, TimelineRow
from tocsin.paging import runs, statements
from tocsin.paging.statements import Run
from tocsin.paging.tables import ALERT_GROUP, INCIDENT, EscalationEvent

_CLOSED_INCIDENT = ("resolved", "closed")
#: Events that make an acknowledged escalation escalate again.
_REACTIVATIONS = ("retriggered", "escalated", "reassigned")


def synchronise(session: Session, run: Run, now: datetime) -> None:
    """Acknowledge or resolve ``run`` if its subject was acknowledged or resolved meanwhile."""
    if not run.status.is_open or not run.subject_key.isdecimal():
        return
    acknowledged: str | None = None
    if run.subject_type == ALERT_GROUP:
        group = handover.group_state(session, int(run.subject_key))
        if group is None:
            return
        resolved_at, acknowledged_at, acknowledged_by = group
        if resolved_at is not None:
            runs.resolve(session, run, "the alert group resolving", now)
            return
        if (
            acknowledged_at is not None
            and run.status.state == RunState.ACTIVE
            and not _reactivated_since(session, run, acknowledged_at)
        ):
            acknowledged = acknowledged_by or "the alert group's acknowledgement"
    elif run.subject_type == INCIDENT:
        incident = session.get(Incident, int(run.subject_key))
        if incident is None:
            return
        if incident.status in _CLOSED_INCIDENT:
            runs.resolve(session, run, f"the incident becoming {incident.status}", now)
            return
        taken_at = incident.acknowledged_at
        # Only an acknowledgement after the escalation started: one before it (an incident
        # raised to SEV-1 while responding) must not stop the paging it asks for.
        if (
            taken_at is not None
            and run.status.state == RunState.ACTIVE
            and taken_at > run.started_at
            and not _reactivated_since(session, run, taken_at)
        ):
            acknowledged = _taken_by(session, incident.id, taken_at)
    if acknowledged is not None:
        runs.acknowledge(session, run, acknowledged, now)


@batched
def follow_group(ctx: JobContext, changed: handover.GroupChanged) -> None:
    """Acknowledge or resolve the escalation of a group that was acknowledged or resolved.

    Handles ``alert_group.changed``, so the escalation follows at once rather
    than when its next step or acknowledgement timeout comes due.
    """
    with ctx.transaction() as session:
        _follow(session, ALERT_GROUP, changed.group_id, ctx.clock.now())


def follow_incident(session: Session, changed: IncidentChanged, now: datetime) -> None:
    """Acknowledge or resolve the escalation of an incident acknowledged, resolved or closed.

    Paging's part of ``incident.changed`` (see :mod:`tocsin.incidents.changes`;
    the composition root runs it), as :func:`follow_group` is for alert groups.
    """
    if changed.change in ESCALATION_CHANGES:
        _follow(session, INCIDENT, changed.incident_id, now)


def _follow(session: Session, subject_type: str, subject_id: int, now: datetime) -> None:
    found = statements.open_run(session, subject_type, str(subject_id))
    run = statements.lock_run(session, found.id) if found is not None else None
    if run is not None:
        synchronise(session, run, now)


def _taken_by(session: Session, incident_id: int, at: datetime) -> str:
    """Who moved the incident out of triage at ``at`` (the author of that status change)."""
    author = session.scalar(
        select(TimelineRow.author)
        .where(
            TimelineRow.incident_id == incident_id,
            TimelineRow.kind == EntryKind.STATUS_CHANGE.value,
            TimelineRow.occurred_at == at,
        )
        .order_by(TimelineRow.sequence)
        .limit(1)
    )
    return author or "the incident leaving triage"


def _reactivated_since(session: Session, run: Run, acknowledged_at: datetime) -> bool:
    latest = session.scalar(
        select(func.max(EscalationEvent.at)).where(
            EscalationEvent.run_id == run.id, EscalationEvent.kind.in_(_REACTIVATIONS)
        )
    )
    return latest is not None and latest >= acknowledged_at


def acknowledge(session: Session, run: Run, by: str, now: datetime) -> bool:
    """Acknowledge the escalation as ``by``, and its subject; False if it was not escalating."""
    if not runs.acknowledge(session, run, by, now):
        return False
    if run.subject_key.isdecimal():
        if run.subject_type == ALERT_GROUP:
            incident_id = handover.acknowledge_group(
                session,
                int(run.subject_key),
                by=by,
                now=now,
                how=f"through escalation {run.id}",
                escalation_run=str(run.id),
            )
            declared = {each for each in (incident_id, run.incident_id) if each is not None}
            for each in sorted(declared):
                _acknowledge_incident(session, run, str(each), by, now)
        elif run.subject_type == INCIDENT:
            _acknowledge_incident(session, run, run.subject_key, by, now)
    return True


def _acknowledge_incident(session: Session, run: Run, key: str, by: str, now: datetime) -> None:
    """Move incident ``key`` from triage to responding: its acknowledgement (MTTA)."""
    try:
        incident = records.find(session, key, lock=True)
    except NotFound:
        return
    if incident.status != Status.TRIAGE.value:
        return
    change_status(
        session,
        incident,
        Status.RESPONDING.value,
        f"{by} acknowledged the page (escalation {run.id})",
        Actor(by),
        now,
    )
