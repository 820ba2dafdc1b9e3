"""What starts an escalation: an incident formally declared, an alert group opened.

- Formal declaration of an incident (SEV1/SEV2) pages the escalation policy
  of its first affected service that has one (its own, its team's or the
  default: :meth:`Directory.service_policy`).
- An incident declared at, or raised to, any level tells that level's
  escalation audience (stakeholders) once: paging handles the
  ``incident.stakeholders`` job (see :mod:`tocsin.paging.notices`).
- An alert group that opens starts escalating with the policy and urgency
  routing chose for it: paging handles the ``alert_group.opened`` job
  (:mod:`tocsin.alerts.handover`). Resolving or acknowledging the group
  stops the run, and acknowledging the run acknowledges the group (see
  :mod:`tocsin.paging.subjects`).

The composition root registers these (:func:`register` and the
declaration hook :data:`DECLARATION_HOOK`).

An alert group that declared an incident and that incident are one problem:
whichever starts paging first (at high urgency) pages, and the other notes
that it is not paged separately, so nobody is paged twice for it. Both hooks
lock the incident before they look, so two workers cannot both page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import handover, history
from tocsin.alerts.handover import GroupToPage, OpenedGroup
from tocsin.domain.escalation import Urgency
from tocsin.domain.refusals import NotFound, Refusal
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure, batched
from tocsin.incidents import recorder, records, stakeholders
from tocsin.incidents.declaration import Declaration, Hook
from tocsin.incidents.tables import IncidentService
from tocsin.paging import delivery, handoff_notices, jobs, notices, runs, steps, subjects
from tocsin.paging.directory import Directory
from tocsin.paging.tables import ALERT_GROUP, INCIDENT, OPEN_RUN, EscalationRun
from tocsin.paging.timeline import AUTHOR, deferring

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
            OPEN_RUN,
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
            author=AUTHOR,
            details=details,
        ),
        declared.at,
    )


def page_for_alert_group(
    session: Session, opened: OpenedGroup, at: datetime, job: JobContext | None = None
) -> None:
    """Escalate a newly opened alert group with the policy routing froze for it.

    Not when the group declared an incident that is already paging at high
    urgency. ``job``, the job handing the group over, may take the first step
    itself (see :func:`tocsin.paging.steps.first_step`).
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
                    at,
                    "escalation",
                    AUTHOR,
                    f"Not paged separately: its incident is already paging "
                    f"through escalation {paging.id}",
                    group_id=opened.group_id,
                    escalation_run=str(paging.id),
                )
                return
    urgency = Urgency.LOW if opened.urgency == Urgency.LOW.value else Urgency.HIGH
    try:
        with deferring(session):
            runs.start(
                session,
                subject_type=ALERT_GROUP,
                subject_key=str(opened.group_id),
                title=opened.title,
                policy_name=opened.escalation_policy,
                urgency=urgency,
                now=at,
                service=opened.service,
                incident_id=opened.incident_id,
                first_step=steps.first_step(job),
            )
    except Refusal as error:
        raise PermanentFailure(f"alert group {opened.group_id}: {error}") from error


@batched
def page_opened_group(ctx: JobContext, handed: GroupToPage) -> None:
    """The ``alert_group.opened`` job: escalate the group, and say so on its history.

    Everything happens in the job's transaction (shared with the claim's other
    batched jobs), so it commits exactly once with the job's completion.
    """
    with ctx.transaction() as session, history.deferring(session):
        opened = handover.opened_group(session, handed.group_id)
        if opened is None:
            raise PermanentFailure(f"alert group {handed.group_id} does not exist")
        now = ctx.clock.now()
        page_for_alert_group(session, opened, now, ctx)
        handover.record_handed_over(session, handed.group_id, now, PAGING_HOOK)


#: Paging's step of formal declaration (the composition root hands it to incidents).
DECLARATION_HOOK = Hook(PAGING_HOOK, page_for_incident)


def register(registry: HandlerRegistry) -> None:
    """Paging's job handlers: its own kinds, and those of alerts, incidents, on-call it handles."""
    registry.register(jobs.STEP, steps.run_step)
    registry.register(jobs.ACK_TIMEOUT, steps.acknowledgement_timeout)
    registry.register(jobs.DELIVER, delivery.deliver_notification)
    registry.register(jobs.BUNDLE, delivery.deliver_bundle)
    registry.register(jobs.ALARM, notices.send_alarm)
    registry.register(jobs.STAKEHOLDER, notices.send_stakeholder_notice)
    registry.register(stakeholders.INCIDENT_STAKEHOLDERS, notices.notify_level)
    registry.register(handover.OPENED, page_opened_group)
    registry.register(handover.CHANGED, subjects.follow_group)
    handoff_notices.register(registry)
