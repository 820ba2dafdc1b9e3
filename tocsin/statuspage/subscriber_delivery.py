"""Telling subscribers: one delivery per subscriber and update (component change, postmortem).

The fan-outs (:mod:`tocsin.statuspage.subscriber_fan_out`) write the rows of
``status_deliveries`` and queue the jobs here; what a delivery says comes
from :mod:`tocsin.statuspage.subscriber_content`. A delivery tells an update
or that a postmortem is public (by mail, webhook, Slack or Teams), or a
component's change (Statuspage's component update webhook); all go through
the same steps below.

Email deliveries go :data:`~tocsin.statuspage.subscriber_jobs.MAIL_BATCH` to a
``statuspage.deliver_mail`` job, over one SMTP connection (connecting once
per mail cost more than the rest of a delivery); each mail is still marked
and recorded on its own row.

``statuspage.deliver`` works in three steps, like paging's deliveries: mark
the row *sending* (committed), send outside any transaction, record the
outcome. A failure is retried with the engine's backoff; the last attempt (or
a permanent failure) marks the row *failed*. A worker killed between sending
and recording leaves the row *sending*; the retry sends again with the same
``Message-ID`` (mail) or ``X-Tocsin-Delivery`` (webhooks), so receivers that
deduplicate show it once. In outbox mode (``TOCSIN_DELIVERY=outbox``) the
message is recorded in the outbox, without its link secrets, instead.

A webhook, Slack or Teams subscriber whose deliveries (of updates and
component changes alike) failed :data:`DISABLE_AFTER_FAILURES` attempts in a
row, over at least :data:`DISABLE_AFTER`, is disabled, and its owner
(``owner_email``) is told. Email subscribers are never disabled this way:
their failures are usually the mail server's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, text, update
from sqlalchemy.orm import Session

from tocsin.domain.notification_rules import ContactMethod
from tocsin.engine import jobs as queue
from tocsin.engine.registry import HandlerRegistry, JobContext, LeaseLost, batched
from tocsin.engine.tables import Job
from tocsin.notify import outbox
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.notify.smtp import SmtpConnection
from tocsin.notify.tables import STATUS
from tocsin.statuspage import (
    subscriber_content,
    subscriber_links,
    subscriber_messages,
    subscriber_notices,
)
from tocsin.statuspage.subscriber_fan_out import (
    QUEUED,
    fan_out,
    fan_out_component,
    fan_out_postmortem,
)
from tocsin.statuspage.subscriber_jobs import (
    COMPONENT_FAN_OUT,
    DELIVER,
    DELIVER_MAIL,
    DISABLED,
    FAN_OUT,
    OPT_IN,
    POSTMORTEM_FAN_OUT,
    Deliver,
    DeliverMail,
    Disabled,
)
from tocsin.statuspage.subscriber_links import Links
from tocsin.statuspage.subscriber_messages import ComponentNotice, Notice
from tocsin.statuspage.subscriber_sending import (
    WEBHOOK_TIMEOUT_SECONDS,
    Mail,
    composed,
    message_id,
    post_chat,
    post_signed,
    send_mail,
    unsubscribe_headers,
)
from tocsin.statuspage.subscribers import EMAIL, SLACK, URL_CHANNELS, WEBHOOK
from tocsin.statuspage.tables import Delivery, Subscriber

DISABLE_AFTER_FAILURES = 10
DISABLE_AFTER = timedelta(days=1)
#: Where webhook receivers read about the payload (``meta.documentation``).
DOCUMENTATION_PATH = "/status/subscribers/webhooks"
SENDING, SENT, FAILED, SKIPPED = "sending", "sent", "failed", "skipped"
_DONE = frozenset({SENT, FAILED, SKIPPED})


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go to one subscriber."""

    delivery_id: int
    channel: str
    address: str
    code: str
    notice: subscriber_content.Told
    base: str

    @property
    def name(self) -> str:
        """The delivery's id for receivers: the same on every attempt."""
        about = (
            self.notice.update_code
            if isinstance(self.notice, Notice)
            else f"component.{self.notice.change_id}"
        )
        return f"status.{about}.{self.code}"


def _prepare(
    session: Session, delivery_id: int, notify: NotifySettings, now: datetime
) -> Outgoing | None:
    """Mark the delivery sending and say what to send; None when nothing is to be sent."""
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.state in _DONE:
        return None
    subscriber = session.get(Subscriber, delivery.subscriber_id)
    assert subscriber is not None
    found = None
    if subscriber.disabled_at is None and subscriber.confirmed_at is not None:
        found = subscriber_content.notice_of(session, delivery, subscriber.page, notify, now)
    if found is None:
        delivery.state = SKIPPED
        return None
    delivery.state = SENDING
    delivery.attempts += 1
    notice, base = found
    return Outgoing(
        delivery.id, subscriber.channel, subscriber.address, subscriber.code, notice, base
    )


def _posted(outgoing: Outgoing, links: Links) -> dict[str, Any]:
    """The JSON posted to a webhook, Slack or Teams subscriber."""
    notice = outgoing.notice
    documentation = outgoing.base + DOCUMENTATION_PATH
    if isinstance(notice, ComponentNotice):
        return subscriber_messages.component_webhook(notice, links, documentation)
    if outgoing.channel == WEBHOOK:
        return subscriber_messages.webhook(notice, links, documentation)
    if outgoing.channel == SLACK:
        return subscriber_messages.slack(notice, links)
    return subscriber_messages.teams(notice, links)


def _message(outgoing: Outgoing, links: Links) -> tuple[str, str]:
    """The subject and text the outbox records for ``outgoing``."""
    notice = outgoing.notice
    if isinstance(notice, ComponentNotice):
        return notice.headline, json.dumps(_posted(outgoing, links), indent=2)
    if outgoing.channel == EMAIL:
        return subscriber_messages.email(notice, links)
    return notice.incident_name, json.dumps(_posted(outgoing, links), indent=2)


def _mail(outgoing: Outgoing, notify: NotifySettings, key: bytes) -> Mail:
    notice = outgoing.notice
    if not isinstance(notice, Notice):
        raise DeliveryError("component changes are told to webhooks only", permanent=True)
    links = Links(outgoing.base, outgoing.code, subscriber_links.link_secret(key, outgoing.code))
    subject, body = subscriber_messages.email(notice, links)
    sender = notify.smtp.sender if notify.smtp else "tocsin@localhost"
    return Mail(
        outgoing.address,
        subject,
        body,
        message_id(outgoing.name, sender),
        unsubscribe_headers(links.unsubscribe),
    )


def _send(outgoing: Outgoing, notify: NotifySettings, key: bytes, now: datetime) -> None:
    secret = subscriber_links.link_secret(key, outgoing.code)
    links = Links(outgoing.base, outgoing.code, secret)
    if outgoing.channel == EMAIL:
        send_mail(notify.smtp, _mail(outgoing, notify, key), notify.timeout)
    elif outgoing.channel == WEBHOOK:
        signing = subscriber_links.webhook_secret(key, outgoing.code)
        post_signed(outgoing.address, _posted(outgoing, links), signing, outgoing.name, now)
    else:
        post_chat(outgoing.address, _posted(outgoing, links), WEBHOOK_TIMEOUT_SECONDS)


def _record_outbox(session: Session, outgoing: Outgoing, key: bytes, now: datetime) -> None:
    secret = subscriber_links.link_secret(key, outgoing.code)
    subject, body = _message(outgoing, Links(outgoing.base, outgoing.code, secret))
    outbox.record(
        session,
        kind=STATUS,
        user_name=None,
        method=ContactMethod(0, outgoing.channel, outgoing.address),
        message=Message(subject, subscriber_links.hide(body, secret), outgoing.name),
        now=now,
    )


def _succeeded(session: Session, outgoing: Outgoing, now: datetime) -> None:
    delivery = session.get(Delivery, outgoing.delivery_id)
    if delivery is None:
        return
    delivery.state, delivery.sent_at, delivery.last_error = SENT, now, None
    subscriber = session.get(Subscriber, delivery.subscriber_id)
    if subscriber is not None and subscriber.failures:
        subscriber.failures, subscriber.failing_since = 0, None


def _failed(session: Session, outgoing: Outgoing, error: str, *, last: bool, now: datetime) -> None:
    delivery = session.get(Delivery, outgoing.delivery_id)
    if delivery is None:
        return
    delivery.state, delivery.last_error = (FAILED if last else QUEUED), error[:2000]
    subscriber = session.get(Subscriber, delivery.subscriber_id, with_for_update=True)
    if subscriber is None or subscriber.channel not in URL_CHANNELS:
        return
    subscriber.failures += 1
    subscriber.failing_since = subscriber.failing_since or now
    if (
        subscriber.disabled_at is None
        and subscriber.failures >= DISABLE_AFTER_FAILURES
        and now - subscriber.failing_since >= DISABLE_AFTER
    ):
        since = subscriber.failing_since
        subscriber.disabled_at = now
        subscriber.disabled_reason = (
            f"{subscriber.failures} delivery attempts in a row failed since "
            f"{since:%Y-%m-%d %H:%M} UTC; the last: {error[:500]}"
        )
        if subscriber.owner_email:
            queue.enqueue(
                session,
                DISABLED,
                Disabled(subscriber.id),
                now=now,
                idempotency_key=f"{DISABLED.name}:{subscriber.id}:{now.isoformat()}",
            )


def _keep_lease(session: Session, ctx: JobContext, now: datetime) -> None:
    """Lease the job afresh for the send; LeaseLost when another worker took it over.

    A claim leases a batch of jobs at once; a job that waited in its batch
    until the lease ran out may have been claimed again by another worker,
    and both would send. The row lock taken here orders this against that
    claim: whoever comes second finds the job is not its own.
    """
    held = session.execute(
        update(Job)
        .where(Job.id == ctx.job.id, Job.state == queue.RUNNING, Job.lease_owner == ctx.owner)
        .values(lease_expires_at=now + ctx.lease)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(held, CursorResult) or held.rowcount != 1:
        raise LeaseLost(f"job {ctx.job.id} is no longer leased to {ctx.owner}")


@batched
def deliver(ctx: JobContext, job: Deliver) -> None:
    notify = NotifySettings.from_env()
    key = subscriber_links.link_key(ctx.database.settings)
    now = ctx.clock.now()
    with ctx.transaction(finish=False) as session:
        _keep_lease(session, ctx, now)
        outgoing = _prepare(session, job.delivery_id, notify, now)
    if outgoing is None:
        with ctx.transaction():
            return
    if notify.outbox:
        with ctx.transaction() as session:
            _record_outbox(session, outgoing, key, now)
            _succeeded(session, outgoing, now)
        return
    try:
        _send(outgoing, notify, key, now)
    except DeliveryError as error:
        last = error.permanent or ctx.job.attempts >= ctx.job.max_attempts
        with ctx.transaction(finish=last) as session:
            _failed(session, outgoing, str(error), last=last, now=ctx.clock.now())
        if not last:
            raise
        return
    with ctx.transaction() as session:
        _succeeded(session, outgoing, ctx.clock.now())


def _prepare_mails(
    session: Session, delivery_ids: list[int], notify: NotifySettings, now: datetime
) -> list[Outgoing]:
    """Mark the batch's email deliveries still to send *sending*, and say what to send.

    Those nobody should get any more (disabled or gone) are skipped.
    """
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.update_id,
            Delivery.postmortem_of,
            Subscriber.code,
            Subscriber.address,
            Subscriber.page,
            Subscriber.confirmed_at,
            Subscriber.disabled_at,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.id.in_(delivery_ids), Delivery.state.not_in(_DONE))
        .order_by(Delivery.id)
    ).all()
    ready: list[Outgoing] = []
    skipped: list[int] = []
    for row in rows:
        found = None
        if row.disabled_at is None and row.confirmed_at is not None:
            found = subscriber_content.told_notice(
                session, row.update_id, row.postmortem_of, row.page, notify, now
            )
        if found is None:
            skipped.append(row.id)
            continue
        notice, base = found
        ready.append(Outgoing(row.id, EMAIL, row.address, row.code, notice, base))
    marks: list[tuple[list[int], dict[str, Any]]] = [
        (skipped, {"state": SKIPPED}),
        (
            [outgoing.delivery_id for outgoing in ready],
            {"state": SENDING, "attempts": Delivery.attempts + 1},
        ),
    ]
    for ids, values in marks:
        if ids:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    return ready


def _mark_mail(
    session: Session, outgoing: Outgoing, state: str, now: datetime, error: str | None = None
) -> None:
    values: dict[str, Any] = {"state": state, "last_error": error and error[:2000]}
    if state == SENT:
        values["sent_at"] = now
    session.execute(
        update(Delivery)
        .where(Delivery.id == outgoing.delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _without_waiting_for_disk(session: Session) -> None:
    """On PostgreSQL, let this transaction commit before its WAL reaches the disk.

    A mail's *sent* mark is worth less than a disk flush: if PostgreSQL
    itself crashes (Tocsin's crash loses nothing), it may forget the last
    few, and those mails are sent again with the same ``Message-ID``, as
    after a worker killed mid-send.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


@batched
def deliver_mail(ctx: JobContext, job: DeliverMail) -> None:
    """Send a batch of email deliveries over one SMTP connection.

    The batch's rows are marked *sending* together; each mail is marked
    *sent* in a transaction of its own as soon as the server took it, so a
    worker killed mid-batch leaves at most the mail in flight to be sent
    again (with the same ``Message-ID``), as with a delivery of its own. The
    job's lease is renewed whenever a quarter of it has passed, so no other
    worker can have taken the job over before a send. Mails refused for now
    are retried with the job; a retry sends only what is not done.
    """
    notify = NotifySettings.from_env()
    key = subscriber_links.link_key(ctx.database.settings)
    renewed = ctx.clock.now()
    with ctx.transaction(finish=False) as session:
        _keep_lease(session, ctx, renewed)
        batch = _prepare_mails(session, job.delivery_ids, notify, renewed)
    if notify.outbox or not batch:
        with ctx.transaction() as session:
            for outgoing in batch:
                _record_outbox(session, outgoing, key, renewed)
                _mark_mail(session, outgoing, SENT, renewed)
        return
    last = ctx.job.attempts >= ctx.job.max_attempts
    failures: list[tuple[Outgoing, DeliveryError]] = []
    settings = notify.smtp
    if settings is None:
        unset = DeliveryError("email is not configured (set TOCSIN_MAIL_HOST)", permanent=True)
        failures = [(outgoing, unset) for outgoing in batch]
    else:
        with SmtpConnection(settings, notify.timeout) as smtp:
            for outgoing in batch:
                if ctx.clock.now() - renewed >= ctx.lease / 4:
                    renewed = ctx.clock.now()
                    with ctx.transaction(finish=False) as session:
                        _keep_lease(session, ctx, renewed)
                try:
                    smtp.send(composed(settings, _mail(outgoing, notify, key)))
                except DeliveryError as problem:
                    failures.append((outgoing, problem))
                    continue
                with ctx.transaction(finish=False) as session:
                    _without_waiting_for_disk(session)
                    _mark_mail(session, outgoing, SENT, ctx.clock.now())
    now = ctx.clock.now()
    retry = [refused for _, refused in failures if not refused.permanent and not last]
    with ctx.transaction(finish=not retry) as session:
        for outgoing, refused in failures:
            gone = refused.permanent or last
            _mark_mail(session, outgoing, FAILED if gone else QUEUED, now, str(refused))
    if retry:
        raise DeliveryError(f"{len(retry)} mails not taken yet; the last: {retry[-1]}")


def register(registry: HandlerRegistry) -> None:
    registry.register(FAN_OUT, fan_out)
    registry.register(COMPONENT_FAN_OUT, fan_out_component)
    registry.register(POSTMORTEM_FAN_OUT, fan_out_postmortem)
    registry.register(DELIVER, deliver)
    registry.register(DELIVER_MAIL, deliver_mail)
    registry.register(OPT_IN, subscriber_notices.send_opt_in)
    registry.register(DISABLED, subscriber_notices.send_disabled)
