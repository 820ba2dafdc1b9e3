"""One-off messages that are not pages: admin alarms and stakeholder notifications.

Neither escalates nor waits for an acknowledgement. A stakeholder (the VP of
Engineering for SEV-1...) is told once per incident and level: the job's
idempotency key says so, and formal declaration runs once per incident and
level. The message goes to the person's first contact method that accepts
it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.desired import TEAM
from tocsin.domain.notification_rules import ContactMethod
from tocsin.domain.severity import level_key
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs
from tocsin.engine.registry import JobContext, PermanentFailure
from tocsin.incidents import recorder
from tocsin.notify.channels import deliver
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.notify.smtp import send_email
from tocsin.paging.directory import Directory, contact_methods
from tocsin.paging.runs import AUTHOR
from tocsin.store.tables import Definition, User

STAKEHOLDER_JOB = "paging.stakeholder"


def send_alarm(ctx: JobContext) -> None:
    """Email one admin that a page died or an escalation reached nobody."""
    payload = ctx.payload
    settings = NotifySettings.from_env()
    message = Message(
        subject=str(payload["subject"]),
        body=str(payload["body"]),
        idempotency_key=f"tocsin-alarm-{ctx.job.id}",
    )
    try:
        send_email(settings.smtp, str(payload["to"]), message, settings.timeout)
    except DeliveryError as error:
        if error.permanent:
            raise PermanentFailure(str(error)) from error
        raise


def audience(session: Session, roles: Iterable[str]) -> dict[str, list[str]]:
    """The people each audience role means: ``paging.stakeholders``, else holders of a team role."""
    configured = Directory(session).paging().stakeholders
    teams = session.scalars(select(Definition).where(Definition.kind == TEAM)).all()
    found: dict[str, list[str]] = {}
    for role in roles:
        people = configured.get(role)
        if people is None:
            people = sorted(
                {t.spec["roles"][role] for t in teams if role in t.spec.get("roles", {})}
            )
        found[role] = list(people)
    return found


def notify_stakeholders(
    session: Session,
    *,
    incident_id: int,
    reference: str,
    title: str,
    level: str,
    roles: Iterable[str],
    now: datetime,
) -> dict[str, list[str]]:
    """Queue one message per person of the level's audience; note it on the timeline."""
    people = audience(session, roles)
    told = []
    for role, names in people.items():
        for name in names:
            jobs.enqueue(
                session,
                STAKEHOLDER_JOB,
                {"user": name, "reference": reference, "title": title, "level": level},
                now=now,
                idempotency_key=f"{STAKEHOLDER_JOB}:{incident_id}:{level_key(level)}:{name}",
            )
        told.append(f"{role.replace('_', ' ')}: {', '.join(names) or 'nobody assigned'}")
    if told:
        recorder.append(
            session,
            incident_id,
            EntryDraft(
                kind=EntryKind.NOTE,
                note_kind=NoteKind.ACTION,
                text=f"Stakeholders notified for {level}: " + "; ".join(told),
                author=AUTHOR,
                details={"paging": "stakeholders", "level": level},
            ),
            now,
        )
    return people


def send_stakeholder_notice(ctx: JobContext) -> None:
    payload = ctx.payload
    settings = NotifySettings.from_env()
    with ctx.database.sessions() as session:
        user = session.scalar(select(User).where(User.name == str(payload["user"])))
    methods = contact_methods(user) if user is not None else []
    if not methods and user is not None and user.email:
        methods = [ContactMethod(0, "email", user.email)]
    if not methods:
        raise PermanentFailure(f"stakeholder {payload['user']} has no contact method or email")
    reference, level = str(payload["reference"]), str(payload["level"])
    message = Message(
        subject=f"[Tocsin] {reference} declared at {level}: {payload['title']}",
        body=(
            f"{reference} ({payload['title']}) is at {level}. You are told because this "
            "level's escalation includes you; you are not being paged."
        ),
        idempotency_key=f"tocsin-stakeholder-{ctx.job.id}",
        data={"event": "stakeholder", "incident": reference, "level": level},
    )
    errors = []
    for method in methods:
        try:
            deliver(settings, method, message, ctx.clock.now())
            return
        except DeliveryError as error:
            errors.append(f"{method.type}: {error}")
    raise DeliveryError("; ".join(errors))
