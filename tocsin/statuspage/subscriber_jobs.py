"""The job kinds that tell subscribers, and the calls that start them.

Posting a public update with ``notify`` queues one ``statuspage.fan_out``
job in the same transaction (:func:`queue_fan_out`); its handler
(:mod:`tocsin.statuspage.subscriber_fan_out`) queues one
``statuspage.deliver`` job per interested webhook, Slack or Teams subscriber and one
``statuspage.deliver_mail`` job per :data:`MAIL_BATCH` email subscribers (sent
over one SMTP connection), a batch at a time, each keyed by update and
(first) subscriber so that it is queued once.
Each public change of a component's status queues one
``statuspage.component_fan_out`` job in its transaction
(:func:`queue_component_fan_out`), which queues one ``statuspage.deliver``
job per interested webhook subscriber, keyed by change and subscriber.
Making a postmortem public with ``notify`` queues one
``statuspage.postmortem_fan_out`` job (:func:`queue_postmortem_fan_out`), which
tells the subscribers an update of that incident would reach, like an update.
``statuspage.opt_in`` mails the confirmation link of a new email subscriber;
``statuspage.subscriber_disabled`` tells a webhook's owner that it was
disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.engine import jobs as queue
from tocsin.engine.kinds import JobKind
from tocsin.statuspage.tables import ComponentStatusChange, PublicIncident, PublicUpdate


@dataclass(frozen=True)
class FanOut:
    update_id: int
    #: The subscriber id this batch starts after.
    after: int = 0


@dataclass(frozen=True)
class ComponentFanOut:
    #: The row of ``status_component_history`` to tell.
    change_id: int
    #: The subscriber id this batch starts after.
    after: int = 0


@dataclass(frozen=True)
class PostmortemFanOut:
    #: The public incident whose postmortem to tell.
    public_incident_id: int
    #: The subscriber id this batch starts after.
    after: int = 0


@dataclass(frozen=True)
class Deliver:
    delivery_id: int


@dataclass(frozen=True)
class DeliverMail:
    #: The email deliveries this job sends, in order.
    delivery_ids: list[int]


@dataclass(frozen=True)
class OptIn:
    subscriber_id: int
    #: The address was confirmed already: the mail says so and carries the manage link.
    already: bool = False


@dataclass(frozen=True)
class Disabled:
    subscriber_id: int


FAN_OUT = JobKind("statuspage.fan_out", FanOut)
COMPONENT_FAN_OUT = JobKind("statuspage.component_fan_out", ComponentFanOut)
POSTMORTEM_FAN_OUT = JobKind("statuspage.postmortem_fan_out", PostmortemFanOut)
DELIVER = JobKind("statuspage.deliver", Deliver)
DELIVER_MAIL = JobKind("statuspage.deliver_mail", DeliverMail)
#: Email deliveries per ``statuspage.deliver_mail`` job.
MAIL_BATCH = 50
OPT_IN = JobKind("statuspage.opt_in", OptIn)
DISABLED = JobKind("statuspage.subscriber_disabled", Disabled)


def fan_out_key(update_id: int, after: int) -> str:
    return f"{FAN_OUT.name}:{update_id}:{after}"


def deliver_key(update_id: int, subscriber_id: int) -> str:
    return f"{DELIVER.name}:{update_id}:{subscriber_id}"


def component_fan_out_key(change_id: int, after: int) -> str:
    return f"{COMPONENT_FAN_OUT.name}:{change_id}:{after}"


def component_deliver_key(change_id: int, subscriber_id: int) -> str:
    return f"{DELIVER.name}:component:{change_id}:{subscriber_id}"


def deliver_mail_key(update_id: int, first_subscriber_id: int) -> str:
    return f"{DELIVER_MAIL.name}:{update_id}:{first_subscriber_id}"


def postmortem_fan_out_key(public_incident_id: int, after: int) -> str:
    return f"{POSTMORTEM_FAN_OUT.name}:{public_incident_id}:{after}"


def postmortem_deliver_key(public_incident_id: int, subscriber_id: int) -> str:
    return f"{DELIVER.name}:postmortem:{public_incident_id}:{subscriber_id}"


def postmortem_mail_key(public_incident_id: int, first_subscriber_id: int) -> str:
    return f"{DELIVER_MAIL.name}:postmortem:{public_incident_id}:{first_subscriber_id}"


def queue_fan_out(
    session: Session, public: PublicIncident, update: PublicUpdate, now: datetime
) -> bool:
    """Tell subscribers about ``update`` (caller's transaction); False when it says not to.

    Updates posted with ``notify`` false and backfilled incidents (told after
    the fact) reach nobody.
    """
    if not update.notify or public.backfilled:
        return False
    return queue.enqueue(
        session,
        FAN_OUT,
        FanOut(update.id),
        now=now,
        idempotency_key=fan_out_key(update.id, 0),
    )


def queue_component_fan_out(session: Session, change: ComponentStatusChange, now: datetime) -> bool:
    """Tell webhook subscribers about ``change`` (flushed, in the caller's transaction).

    Every change is told, whatever made it: Statuspage sends a component
    update each time a component's status changes, so receivers that follow
    statuses stay true (an update posted without ``notify`` tells nobody its
    text, but the statuses it sets are public all the same).
    """
    return queue.enqueue(
        session,
        COMPONENT_FAN_OUT,
        ComponentFanOut(change.id),
        now=now,
        idempotency_key=component_fan_out_key(change.id, 0),
    )


def queue_postmortem_fan_out(session: Session, public: PublicIncident, now: datetime) -> bool:
    """Tell subscribers that ``public``'s postmortem is public (caller's transaction).

    Once per incident (``postmortem_notified_at``); a backfilled incident reaches
    nobody, as its updates do not. False when nobody is told.
    """
    if public.backfilled or public.postmortem_notified_at is not None:
        return False
    public.postmortem_notified_at = now
    return queue.enqueue(
        session,
        POSTMORTEM_FAN_OUT,
        PostmortemFanOut(public.id),
        now=now,
        idempotency_key=postmortem_fan_out_key(public.id, 0),
    )
