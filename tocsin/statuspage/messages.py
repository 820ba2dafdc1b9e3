"""Messages the status page's communications send: reminders, internal reports, customer mails.

They travel like paging's stakeholder notices (:mod:`tocsin.paging.notices`):
queueing one is a ``communications.message`` job written in the caller's
transaction under an idempotency key, so a message is queued at most once
whatever retries or races happen; its handler sends it to the person's first
contact method that takes it (their email when they have none), or to a
plain address (customers), through :func:`tocsin.paging.notices.send_notice`.
In outbox mode (``TOCSIN_DELIVERY=outbox``) the message is recorded in the
outbox instead, as kind ``communication`` (paging's own notices are
``stakeholder``).

Clock times in these messages are in the page's zone (``status_page.time_zone``),
with the abbreviation in force at that time (:func:`clock_time`: "10:20 CET",
"03:05 CEST" just after the spring change), never bare UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tocsin.domain.notification_rules import ContactMethod
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure
from tocsin.notify import tables as outbox_store
from tocsin.notify.message import Message
from tocsin.paging.notices import reachable, send_or_give_up
from tocsin.statuspage import components as component_states

#: What a message is, in its ``data.event`` (webhooks and chat see it).
REMINDER, INTERNAL_REPORT, CUSTOMER = "update_reminder", "internal_report", "customer_notification"


@dataclass(frozen=True)
class Outgoing:
    """One message to one Tocsin user (``user``) or one email address (``address``)."""

    subject: str
    body: str
    #: REMINDER, INTERNAL_REPORT or CUSTOMER.
    event: str
    #: The incident's reference, for receivers that sort by it.
    incident: str
    user: str | None = None
    address: str | None = None


MESSAGE = JobKind("communications.message", Outgoing)


def page_zone(session: Session) -> ZoneInfo:
    """The zone messages print times in: ``status_page.time_zone`` (UTC unless configured)."""
    return ZoneInfo(component_states.settings(session).time_zone)


def clock_time(value: datetime, zone: ZoneInfo) -> str:
    """``value`` as "10:20 CET": its time in ``zone`` and the abbreviation in force then."""
    return value.astimezone(zone).strftime("%H:%M %Z")


def queue(session: Session, outgoing: Outgoing, *, key: str, now: datetime) -> bool:
    """Queue ``outgoing`` once per ``key`` (in the caller's transaction); False if it was."""
    return jobs.enqueue(
        session, MESSAGE, outgoing, now=now, idempotency_key=f"{MESSAGE.name}:{key}"
    )


def _methods(ctx: JobContext, outgoing: Outgoing) -> list[ContactMethod]:
    if outgoing.address is not None:
        return [ContactMethod(0, "email", outgoing.address)]
    if outgoing.user is None:
        return []
    with ctx.database.sessions() as session:
        return reachable(session, outgoing.user)


def send(ctx: JobContext, outgoing: Outgoing) -> None:
    """The ``communications.message`` job: deliver it (or record it in the outbox)."""
    methods = _methods(ctx, outgoing)
    if not methods:
        raise PermanentFailure(f"{outgoing.user} has no contact method or email")
    message = Message(
        subject=outgoing.subject,
        body=outgoing.body,
        idempotency_key=f"tocsin-statuspage-{ctx.job.id}",
        data={"event": outgoing.event, "incident": outgoing.incident},
    )
    send_or_give_up(
        ctx,
        kind=outbox_store.COMMUNICATION,
        user_name=outgoing.user,
        methods=methods,
        message=message,
    )


def register(registry: HandlerRegistry) -> None:
    registry.register(MESSAGE, send)
