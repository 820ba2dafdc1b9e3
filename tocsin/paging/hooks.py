"""Where paging plugs into the rest of Tocsin: job handlers, incident declaration, alerts.

- Formal declaration of an incident (SEV1/SEV2) pages the escalation policy
  of its first affected service that has one, and tells the level's
  escalation audience (stakeholders) once.
- An alert group that opens starts escalating with the policy and urgency
  routing chose for it; resolving or acknowledging the group stops the run
  (see :mod:`tocsin.paging.subjects`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.paging import GroupOpened
from tocsin.domain.escalation import Urgency
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine.registry import HandlerRegistry, PermanentFailure
from tocsin.incidents import declaration, recorder
from tocsin.incidents.declaration import Declaration
from tocsin.paging import delivery, notices, runs, steps
from tocsin.paging.directory import Directory
from tocsin.paging.subjects import ALERT_GROUP, INCIDENT
from tocsin.store.incidents import IncidentService

PAGING_HOOK = "page the on-call"
STAKEHOLDER_HOOK = "notify stakeholders"


def page_for_incident(session: Session, declared: Declaration) -> None:
    names = session.scalars(
        select(IncidentService.name)
        .where(IncidentService.incident_id == declared.incident_id)
        .order_by(IncidentService.name)
    ).all()
    directory = Directory(session)
    for name in names:
        service = directory.service(name)
        if service is not None and service.escalation_policy is not None:
            prefix = "[DRILL] " if declared.drill else ""
            runs.start(
                session,
                subject_type=INCIDENT,
                subject_key=str(declared.incident_id),
                title=f"{prefix}{declared.reference} {declared.level.level}: {declared.title}",
                policy_name=service.escalation_policy,
                urgency=Urgency.HIGH,
                now=declared.at,
                service=name,
                incident_id=declared.incident_id,
            )
            return
    recorder.append(
        session,
        declared.incident_id,
        EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.OBSERVATION,
            text="Paging: no affected service has an escalation policy; nobody was paged",
            author=runs.AUTHOR,
            details={"paging": "not_paged"},
        ),
        declared.at,
    )


def stakeholders_for_incident(session: Session, declared: Declaration) -> None:
    notices.notify_stakeholders(
        session,
        incident_id=declared.incident_id,
        reference=declared.reference,
        title=declared.title,
        level=declared.level.level,
        roles=declared.level.escalation.roles,
        now=declared.at,
    )


def page_for_alert_group(session: Session, opened: GroupOpened) -> None:
    """Escalate a newly opened alert group with the policy routing froze for it."""
    if opened.escalation_policy is None:
        return
    urgency = Urgency.LOW if opened.urgency == Urgency.LOW.value else Urgency.HIGH
    try:
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
    for name, hook in (
        (PAGING_HOOK, page_for_incident),
        (STAKEHOLDER_HOOK, stakeholders_for_incident),
    ):
        declaration.remove_hook(name)
        declaration.add_hook(name, hook)
