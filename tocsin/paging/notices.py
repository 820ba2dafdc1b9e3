"""One-off messages that are not pages: admin alarms and stakeholder notifications.

Neither escalates nor waits for an acknowledgement. A stakeholder (the VP of
Engineering for SEV-1, the team lead for SEV-3...) is told once per incident
and level: declaring an incident at a level, or raising it to one, queues one
``incident.stakeholders`` job (:mod:`tocsin.incidents.stakeholders`), whose
handler here queues one message per person, each keyed by incident, level and
person. The message goes to the person's first contact method that accepts
it.

Who an audience role means: the people ``paging.stakeholders`` lists for it;
otherwise the holders of that team role in the teams owning the incident's
affected services, or, when none of those teams has the role (or the incident
names no service), in every team.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.organisation import TEAM
from tocsin.config.tables import Definition
from tocsin.domain.notification_rules import ContactMethod
from tocsin.domain.refusals import NotFound
from tocsin.domain.severity import level_key
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs as queue
from tocsin.engine.registry import JobContext, PermanentFailure
from tocsin.incidents import configured as definitions
from tocsin.incidents import recorder, records
from tocsin.incidents.stakeholders import LevelReached, Reached
from tocsin.notify import outbox
from tocsin.notify import tables as outbox_store
from tocsin.notify.channels import deliver
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.paging.directory import Directory, contact_methods
from tocsin.paging.jobs import STAKEHOLDER, Alarm, StakeholderNotice
from tocsin.paging.timeline import AUTHOR


def send_notice(
    ctx: JobContext,
    settings: NotifySettings,
    *,
    kind: str,
    user_name: str | None,
    methods: Sequence[ContactMethod],
    message: Message,
) -> None:
    """Deliver a one-off message to the first of ``methods`` that takes it.

    In outbox mode (``TOCSIN_DELIVERY=outbox``) the first method's message is
    recorded in the outbox, in the job's finishing transaction, instead.
    Raises :class:`DeliveryError` (every method's reason; permanent when every
    failure was) when none took it.
    """
    if settings.outbox:
        with ctx.transaction() as session:
            outbox.record(
                session,
                kind=kind,
                user_name=user_name,
                method=methods[0],
                message=message,
                now=ctx.clock.now(),
            )
        return
    errors = []
    for method in methods:
        try:
            deliver(settings, method, message, ctx.clock.now())
            return
        except DeliveryError as error:
            errors.append(error)
    reasons = "; ".join(
        f"{method.type}: {error}" for method, error in zip(methods, errors, strict=True)
    )
    raise DeliveryError(reasons, permanent=all(error.permanent for error in errors))


def reachable(session: Session, name: str) -> list[ContactMethod]:
    """How a one-off message (not a page) reaches user ``name``: their contact methods, else
    their email alone; none for an unknown user."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        return []
    methods = contact_methods(user)
    if not methods and user.email:
        methods = [ContactMethod(0, "email", user.email)]
    return methods


def send_or_give_up(
    ctx: JobContext,
    *,
    kind: str,
    user_name: str | None,
    methods: Sequence[ContactMethod],
    message: Message,
) -> None:
    """:func:`send_notice`, with a permanent failure (no gateway configured, a 4xx) made
    the job's: retrying cannot help. Other failures raise, so the job is retried."""
    try:
        send_notice(
            ctx,
            NotifySettings.from_env(),
            kind=kind,
            user_name=user_name,
            methods=methods,
            message=message,
        )
    except DeliveryError as error:
        if error.permanent:
            raise PermanentFailure(str(error)) from error
        raise


def send_alarm(ctx: JobContext, alarm: Alarm) -> None:
    """Email one admin that a page died or an escalation reached nobody."""
    settings = NotifySettings.from_env()
    message = Message(
        subject=alarm.subject,
        body=alarm.body,
        idempotency_key=f"tocsin-alarm-{ctx.job.id}",
    )
    email = ContactMethod(0, "email", alarm.to)
    try:
        send_notice(
            ctx, settings, kind=outbox_store.ALARM, user_name=None, methods=[email], message=message
        )
    except DeliveryError as error:
        if error.permanent:
            raise PermanentFailure(str(error)) from error
        raise


def audience(
    session: Session, roles: Iterable[str], services: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The people each audience role means (see the module docstring)."""
    directory = Directory(session)
    configured = directory.paging().stakeholders
    teams = session.scalars(select(Definition).where(Definition.kind == TEAM)).all()
    owners = set()
    for name in services:
        service = directory.service(name)
        if service is not None and service.team:
            owners.add(service.team)
    found: dict[str, list[str]] = {}
    for role in roles:
        people = configured.get(role)
        if people is None:
            holders = {
                t.name: t.spec["roles"][role] for t in teams if role in t.spec.get("roles", {})
            }
            owning = {holders[team] for team in owners if team in holders}
            people = sorted(owning or set(holders.values()))
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
    services: Iterable[str] = (),
    how: Reached = Reached.DECLARED,
) -> dict[str, list[str]]:
    """Queue one message per person of the level's audience; note it on the timeline."""
    people = audience(session, roles, services)
    told = []
    for role, names in people.items():
        for name in names:
            queue.enqueue(
                session,
                STAKEHOLDER,
                StakeholderNotice(
                    user=name, reference=reference, title=title, level=level, how=how.value
                ),
                now=now,
                idempotency_key=f"{STAKEHOLDER.name}:{incident_id}:{level_key(level)}:{name}",
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


def notify_level(ctx: JobContext, reached: LevelReached) -> None:
    """The ``incident.stakeholders`` job: tell the level's audience, once, on the timeline."""
    label, how = reached.level, Reached(reached.how)
    with ctx.transaction() as session:
        try:
            incident = records.find(session, str(reached.incident_id), lock=True)
        except NotFound as error:
            raise PermanentFailure(str(error)) from error
        level = definitions.scale(session).get(label)
        if level is None:
            raise PermanentFailure(f"severity {label!r} is no longer configured")
        notify_stakeholders(
            session,
            incident_id=incident.id,
            reference=incident.reference,
            title=incident.title,
            level=level.level,
            roles=level.escalation.roles,
            now=ctx.clock.now(),
            services=records.services(session, incident.id),
            how=how,
        )


def send_stakeholder_notice(ctx: JobContext, notice: StakeholderNotice) -> None:
    settings = NotifySettings.from_env()
    with ctx.database.sessions() as session:
        methods = reachable(session, notice.user)
    if not methods:
        raise PermanentFailure(f"stakeholder {notice.user} has no contact method or email")
    reference, level = notice.reference, notice.level
    verb = "raised to" if notice.how == Reached.RAISED.value else "declared at"
    message = Message(
        subject=f"[Tocsin] {reference} {verb} {level}: {notice.title}",
        body=(
            f"{reference} ({notice.title}) is at {level}. You are told because this "
            "level's escalation includes you; you are not being paged."
        ),
        idempotency_key=f"tocsin-stakeholder-{ctx.job.id}",
        data={"event": "stakeholder", "incident": reference, "level": level},
    )
    send_notice(
        ctx,
        settings,
        kind=outbox_store.STAKEHOLDER,
        user_name=notice.user,
        methods=methods,
        message=message,
    )
