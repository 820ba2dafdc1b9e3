"""One-off mails about a subscription: the opt-in confirmation and the owner's disabled notice.

Both go through the same SMTP settings as update mails and, in outbox mode,
to the outbox (without link secrets). A retried job may send its mail again:
these mails are sent at least once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tocsin.domain.notification_rules import ContactMethod, redact
from tocsin.domain.refusals import NotFound
from tocsin.engine.registry import JobContext, PermanentFailure
from tocsin.notify import outbox
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.notify.tables import STATUS
from tocsin.statuspage import components as component_states
from tocsin.statuspage import subscriber_links, subscriber_messages
from tocsin.statuspage.audiences import audience
from tocsin.statuspage.subscriber_jobs import Disabled, OptIn
from tocsin.statuspage.subscriber_links import Links
from tocsin.statuspage.subscriber_sending import Mail, message_id, send_mail, unsubscribe_headers
from tocsin.statuspage.tables import Subscriber


@dataclass(frozen=True)
class OneOff:
    to: str
    subject: str
    body: str
    key: str
    #: The link secret in the body, hidden in the outbox.
    secret: str
    unsubscribe: str | None


def _page_title(session: Session, slug: str) -> str:
    settings = component_states.settings(session)
    try:
        return audience(settings, slug).title
    except NotFound:
        return settings.title


def _base(session: Session, notify: NotifySettings) -> str:
    return (component_states.settings(session).url or notify.public_url).rstrip("/")


def _send(ctx: JobContext, notify: NotifySettings, mail: OneOff) -> None:
    if notify.outbox:
        with ctx.transaction() as session:
            outbox.record(
                session,
                kind=STATUS,
                user_name=None,
                method=ContactMethod(0, "email", mail.to),
                message=Message(
                    mail.subject, subscriber_links.hide(mail.body, mail.secret), mail.key
                ),
                now=ctx.clock.now(),
            )
        return
    sender = notify.smtp.sender if notify.smtp else "tocsin@localhost"
    headers = unsubscribe_headers(mail.unsubscribe) if mail.unsubscribe else {}
    outgoing = Mail(mail.to, mail.subject, mail.body, message_id(mail.key, sender), headers)
    try:
        send_mail(notify.smtp, outgoing, notify.timeout)
    except DeliveryError as error:
        if error.permanent:
            raise PermanentFailure(str(error)) from error
        raise
    with ctx.transaction():
        pass


def send_opt_in(ctx: JobContext, job: OptIn) -> None:
    """Mail the confirmation link (or, for an address confirmed already, the manage link)."""
    notify = NotifySettings.from_env()
    key = subscriber_links.link_key(ctx.database.settings)
    with ctx.transaction(finish=False) as session:
        subscriber = session.get(Subscriber, job.subscriber_id)
        if subscriber is not None:
            code, address = subscriber.code, subscriber.address
            title, base = _page_title(session, subscriber.page), _base(session, notify)
    if subscriber is None:
        with ctx.transaction():
            return
    secret = subscriber_links.link_secret(key, code)
    links = Links(base, code, secret)
    subject, body = subscriber_messages.opt_in_email(title, links, already=job.already)
    mail = OneOff(
        address,
        subject,
        body,
        f"status.opt-in.{ctx.job.id}",
        secret,
        links.unsubscribe if job.already else None,
    )
    _send(ctx, notify, mail)


def send_disabled(ctx: JobContext, job: Disabled) -> None:
    """Tell a webhook's owner that Tocsin stopped posting to it."""
    notify = NotifySettings.from_env()
    with ctx.transaction(finish=False) as session:
        subscriber = session.get(Subscriber, job.subscriber_id)
        if subscriber is not None and subscriber.owner_email:
            to = subscriber.owner_email
            title = _page_title(session, subscriber.page)
            subject, body = subscriber_messages.disabled_email(
                title,
                subscriber.channel,
                redact(subscriber.address),
                subscriber.disabled_reason or "it kept failing",
            )
    if subscriber is None or not subscriber.owner_email:
        with ctx.transaction():
            return
    _send(ctx, notify, OneOff(to, subject, body, f"status.disabled.{ctx.job.id}", "", None))
