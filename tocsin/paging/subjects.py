"""Keeping an escalation in step with what it escalates.

An alert group or incident resolved or acknowledged elsewhere (an alert's
"resolved" signal, the incident API) stops its escalation: step and delivery
jobs look at their subject before they act, so nothing is paged for a
subject that no longer needs anyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.paging import runs
from tocsin.store import paging as store
from tocsin.store.alerts import AlertGroup
from tocsin.store.incidents import Incident
from tocsin.store.paging import EscalationRun

INCIDENT = "incident"
ALERT_GROUP = "alert_group"
_CLOSED_INCIDENT = ("resolved", "closed")


def synchronise(session: Session, run: EscalationRun, now: datetime) -> None:
    """Acknowledge or resolve ``run`` if its subject was acknowledged or resolved meanwhile."""
    if run.state not in store.OPEN_STATES or not run.subject_key.isdigit():
        return
    acknowledged: str | None = None
    if run.subject_type == ALERT_GROUP:
        group = session.scalar(select(AlertGroup).where(AlertGroup.id == int(run.subject_key)))
        if group is None:
            return
        if group.resolved_at is not None:
            runs.resolve(session, run, "the alert group resolving", now)
            return
        if group.acknowledged_at is not None:
            acknowledged = group.acknowledged_by or "the alert group's acknowledgement"
    elif run.subject_type == INCIDENT:
        incident = session.get(Incident, int(run.subject_key))
        if incident is None:
            return
        if incident.status in _CLOSED_INCIDENT:
            runs.resolve(session, run, f"the incident becoming {incident.status}", now)
            return
    if acknowledged is not None and run.state == store.ACTIVE:
        runs.acknowledge(session, run, acknowledged, now)
