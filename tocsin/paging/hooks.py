"""Where paging plugs into the rest of Tocsin: job handlers, incident declaration, alerts.

- Formal declaration of an incident (SEV1/SEV2) pages the escalation policy
  of its first affected service that has one (its own, its team's or the
  default: :meth:`Directory.service_policy`).
- An incident declared at, or raised to, any level tells that level's
  escalation audience (stakeholders) once: paging handles the
  ``incident.stakeholders`` job (see :mod:`tocsin.paging.notices`).
- An alert group that opens starts escalating with the policy and urgency
  routing chose for it; resolving or acknowledging the group stops the run,
  and acknowledging the run acknowledges the group (see
  :mod:`tocsin.paging.subjects`).

An alert group that declared an incident and that incident are one problem:
whichever starts paging first (at high urgency) pages, and the other notes
that it is not paged separately, so nobody is paged twice for it. Both hooks
lock the incident before they look, so two workers cannot both page.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import group_hooks as alert_paging
from tocsin.alerts import history
from tocsin.alerts.group_hooks import GroupOpened
from tocsin.domain.escalation import Urgency
from tocsin.domain.refusals import NotFound
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine.registry import HandlerRegistry, PermanentFailure
from tocsin.incidents import changes, declaration, recorder, records, stakeholders
from tocsin.incidents.declaration import Declaration
from tocsin.incidents.tables import IncidentService
from tocsin.paging import delivery, notices, runs, steps, subjects
from tocsin.paging import tables as store
from tocsin.paging.directory import Directory
from tocsin.paging.subjects import ALERT_GROUP, INCIDENT
from tocsin.paging.tables import EscalationRun

PAGING_HOOK = "page the on-call"


def _paging_at_high_urgency(
    session: Session, incident_id: int, subject_type: str
) -> EscalationRun | None:
    """An open high urgency escalation of ``subject_type`` for the incident, if there is one."""
    return session.scalars(
        select(EscalationRun)
        .where(
            EscalationRun.incident_id == incident_id,
            EscalationRun.subject_type == subject_type,
            EscalationRun.state.in_(store.OPEN_STATES),
            EscalationRun.urgency == Urgency.HIGH.value,
        )
        .order_by(EscalationRun.id)
        .limit(1)
    ).first()


def page_for_incident(session: Session, declared: Declaration) -> None:
    """Page the first affected service's policy, unless one of its alert groups already is."""
    grouped = _paging_at_high_urgency(session, declared.incident_id, ALERT_GROUP)
    if grouped is not None:
        _observe(
            session,
            declared,
            f"Paging: not paged separately; alert group {grouped.subject_key} "
            f"is already paging through escalation {grouped.id}",
            paging="already_paging",
            escalation_run=str(grouped.id),
        )
        return
    names = session.scalars(
        select(IncidentService.name)
        .where(IncidentService.incident_id == declared.incident_id)
        .order_by(IncidentService.name)
    ).all()
    directory = Directory(session)
    for name in names:
        policy = directory.service_policy(name)
        if policy is not None:
            prefix = "[DRILL] " if declared.drill else ""
            runs.start(
                session,
                subject_type=INCIDENT,
                subject_key=str(declared.incident_id),
                title=f"{prefix}{declared.reference} {declared.level.level}: {declared.title}",
                policy_name=policy,
                urgency=Urgency.HIGH,
                now=declared.at,
                service=name,
                incident_id=declared.incident_id,
            )
            return
    _observe(
        session,
        declared,
        "Paging: no affected service has an escalation policy (its own, its team's or "
        "paging.default_escalation_policy); nobody was paged",
        paging="not_paged",
    )


def _observe(session: Session, declared: Declaration, text: str, **details: str) -> None:
    """A paging observation on the declared incident's timeline."""
    recorder.append(
        session,
        declared.incident_id,
        EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.OBSERVATION,
            text=text,
            author=runs.AUTHOR,
            details=details,
        ),
        declared.at,
    )


def page_for_alert_group(session: Session, opened: GroupOpened) -> None:
    """Escalate a newly opened alert group with the policy routing froze for it.

    Not when the group declared an incident that is already paging at high urgency.
    """
    if opened.escalation_policy is None:
        return
    if opened.incident_id is not None:
        try:
            records.find(session, str(opened.incident_id), lock=True)
        except NotFound:
            pass
        else:
            paging = _paging_at_high_urgency(session, opened.incident_id, INCIDENT)
            if paging is not None:
                history.record(
                    session,
                    opened.at,
                    "escalation",
                    runs.AUTHOR,
                    f"Not paged separately: its incident is already paging "
                    f"through escalation {paging.id}",
                    group_id=opened.group_id,
                    escalation_run=str(paging.id),
                )
                return
    urgency = Urgency.LOW if opened.urgency == Urgency.LOW.value else Urgency.HIGH
    try:
        with runs.deferring(session):
            runs.start(
                session,
                subject_type=ALERT_GROUP,
                subject_key=str(opened.group_id),
                title=opened.title,
                policy_name=opened.escalation_policy,
                urgency=urgency,
                now=opened.at,
                service=opened.service,
                incident_id=opened.incident_id,
                first_step=steps.first_step(opened.job),
            )
    except runs.PagingError as error:
        raise PermanentFailure(f"alert group {opened.group_id}: {error}") from error


def register(registry: HandlerRegistry) -> None:
    registry.register(runs.STEP_JOB, steps.run_step)
    registry.register(runs.ACK_TIMEOUT_JOB, steps.acknowledgement_timeout)
    registry.register(runs.DELIVER_JOB, delivery.deliver_notification)
    registry.register(delivery.BUNDLE_JOB, delivery.deliver_bundle)
    registry.register(runs.ALARM_JOB, notices.send_alarm)
    registry.register(notices.STAKEHOLDER_JOB, notices.send_stakeholder_notice)
    registry.register(stakeholders.INCIDENT_STAKEHOLDERS.name, notices.notify_level)
    registry.register(alert_paging.CHANGED_JOB, subjects.follow_group)
    registry.register(changes.INCIDENT_CHANGED.name, subjects.follow_incident)
    declaration.remove_hook(PAGING_HOOK)
    declaration.add_hook(PAGING_HOOK, page_for_incident)
    alert_paging.remove_hook(PAGING_HOOK)
    alert_paging.add_hook(PAGING_HOOK, page_for_alert_group)
