"""Subscribers: who is told about public updates, and how they join, choose and leave.

- **Email**, by the public sign-up form (:mod:`tocsin.statuspage.subscriber_pages`)
  or an admin: double opt-in. The subscriber is stored unconfirmed and mailed
  a confirmation link; following it confirms. Signing up again answers the
  same whatever the address's state (no enumeration): an unconfirmed address
  gets the confirmation mail again, a confirmed one a mail with its manage
  link. An admin may create a confirmed email subscriber only by saying so
  (``confirmed``), for addresses that agreed elsewhere (an import).
- **Webhook**, **Slack** and **Teams** (an incoming webhook's URL): created by
  admins only, confirmed at once. The public form does not offer them: Tocsin
  would POST to any URL a stranger typed (internal addresses included), and
  no one could confirm that the URL's owner asked for it.

Every subscriber belongs to one page (``page``: its slug, the main page "")
and may narrow it to some of that page's components. Unsubscribing deletes
the subscriber and its delivery log: an address is personal data, kept no
longer than it is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict, Invalid, NotFound
from tocsin.engine import jobs as queue
from tocsin.statuspage import components as component_states
from tocsin.statuspage import subscriber_links
from tocsin.statuspage.audiences import MAIN, Audience, audience
from tocsin.statuspage.publishing import new_code
from tocsin.statuspage.subscriber_jobs import OPT_IN, OptIn
from tocsin.statuspage.tables import Delivery, Subscriber

EMAIL, WEBHOOK, SLACK, TEAMS = "email", "webhook", "slack", "teams"
CHANNELS = (EMAIL, WEBHOOK, SLACK, TEAMS)
URL_CHANNELS = (WEBHOOK, SLACK, TEAMS)
ADDRESS_LIMIT = 500
_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+")
#: Who the audit log names for what the public does.
PUBLIC = "public"


@dataclass(frozen=True)
class NewSubscriber:
    channel: str
    address: str
    page: str = MAIN
    #: Component names, or None for every component of the page.
    components: Sequence[str] | None = None
    owner_email: str | None = None
    #: Skip the opt-in (an admin's explicit choice, or a URL channel).
    confirmed: bool = False


def email_address(field: str, value: str) -> str:
    """An email address, trimmed and lower-cased; Invalid otherwise."""
    address = value.strip().lower()
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise Invalid(field, f"must be an email address like alice@example.com, got {value!r}")
    return address


def web_address(field: str, value: str) -> str:
    address = value.strip()
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(field, "must be an http:// or https:// URL")
    if len(address) > ADDRESS_LIMIT:
        raise Invalid(field, f"must be at most {ADDRESS_LIMIT} characters")
    return address


def address_of(channel: str, value: str, field: str = "address") -> str:
    if channel not in CHANNELS:
        raise Invalid("channel", f"expected one of {', '.join(CHANNELS)}, got {channel!r}")
    return email_address(field, value) if channel == EMAIL else web_address(field, value)


def page_of(session: Session, slug: str) -> Audience:
    return audience(component_states.settings(session), slug)


def offered_components(session: Session, page: Audience) -> list[str]:
    """The components one may subscribe to on ``page``, in page order."""
    listed = component_states.listing(session, with_proposals=False)
    return [component.name for component in listed if page.shows(component.name)]


def chosen_components(
    session: Session,
    page: Audience,
    names: Sequence[str] | None,
    field: str = "components",
    offered: list[str] | None = None,
) -> list[str] | None:
    """``names`` checked against the page's components; None (or all of them) means all."""
    if names is None:
        return None
    if offered is None:
        offered = offered_components(session, page)
    chosen = list(dict.fromkeys(names))
    for name in chosen:
        if name not in offered:
            listed = ", ".join(offered) or "none"
            raise Invalid(field, f"{name!r} is not a component of this page; components: {listed}")
    if not chosen or set(chosen) == set(offered):
        return None
    return [name for name in offered if name in chosen]


def find(session: Session, code: str, *, lock: bool = False) -> Subscriber:
    query = select(Subscriber).where(Subscriber.code == code)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound(f"no subscriber {code!r}")
    return found


def by_link(session: Session, code: str, secret: str) -> Subscriber:
    """The subscriber a link names, if its secret is right (one answer for every failure)."""
    found = session.scalar(select(Subscriber).where(Subscriber.code == code).with_for_update())
    if found is None or not subscriber_links.matches(found.token_hash, secret):
        raise NotFound("this link is not valid any more: the subscription may have ended")
    return found


def _existing(session: Session, page: str, channel: str, address: str) -> Subscriber | None:
    return session.scalar(
        select(Subscriber)
        .where(
            Subscriber.page == page, Subscriber.channel == channel, Subscriber.address == address
        )
        .with_for_update()
    )


def add(session: Session, new: NewSubscriber, key: bytes, now: datetime) -> Subscriber:
    code = new_code()
    subscriber = Subscriber(
        code=code,
        page=new.page,
        channel=new.channel,
        address=new.address,
        components=list(new.components) if new.components is not None else None,
        owner_email=new.owner_email,
        token_hash=subscriber_links.token_hash(subscriber_links.link_secret(key, code)),
        created_at=now,
        confirmed_at=now if new.confirmed or new.channel in URL_CHANNELS else None,
        disabled_at=None,
        disabled_reason=None,
        failures=0,
        failing_since=None,
    )
    session.add(subscriber)
    session.flush()
    return subscriber


def queue_opt_in(session: Session, subscriber: Subscriber, now: datetime) -> None:
    already = subscriber.confirmed_at is not None
    queue.enqueue(session, OPT_IN, OptIn(subscriber.id, already=already), now=now)


def create(
    session: Session, new: NewSubscriber, *, key: bytes, actor: str, now: datetime
) -> Subscriber:
    """An admin adds a subscriber; an unconfirmed email one is sent the opt-in mail."""
    page = page_of(session, new.page)
    checked = NewSubscriber(
        channel=new.channel,
        address=address_of(new.channel, new.address),
        page=page.slug,
        components=chosen_components(session, page, new.components),
        owner_email=email_address("owner_email", new.owner_email) if new.owner_email else None,
        confirmed=new.confirmed,
    )
    if _existing(session, checked.page, checked.channel, checked.address) is not None:
        raise Conflict(f"this {checked.channel} subscriber already exists on this page")
    subscriber = add(session, checked, key, now)
    if subscriber.confirmed_at is None:
        queue_opt_in(session, subscriber, now)
    record(
        session,
        at=now,
        actor=actor,
        action="status_page.subscriber.create",
        object_type="status_subscriber",
        object_key=subscriber.code,
        detail={"channel": subscriber.channel, "page": subscriber.page},
    )
    return subscriber


def sign_up(
    session: Session,
    page: Audience,
    address: str,
    components: Sequence[str] | None,
    *,
    key: bytes,
    now: datetime,
) -> None:
    """The public form: queue the opt-in (or the already-subscribed) mail, whatever the state."""
    email = email_address("email", address)
    chosen = chosen_components(session, page, components)
    found = _existing(session, page.slug, EMAIL, email)
    if found is None:
        found = add(session, NewSubscriber(EMAIL, email, page.slug, chosen), key, now)
    elif found.confirmed_at is None:
        found.components = chosen
    queue_opt_in(session, found, now)


def confirm(session: Session, subscriber: Subscriber, now: datetime) -> bool:
    """Confirm the subscription; False when it was confirmed already."""
    if subscriber.confirmed_at is not None:
        return False
    subscriber.confirmed_at = now
    record(
        session,
        at=now,
        actor=PUBLIC,
        action="status_page.subscriber.confirm",
        object_type="status_subscriber",
        object_key=subscriber.code,
    )
    return True


def choose(session: Session, subscriber: Subscriber, names: Sequence[str] | None) -> None:
    """The manage page: the components the subscriber is told about (None: all)."""
    subscriber.components = chosen_components(session, page_of(session, subscriber.page), names)


def remove(session: Session, subscriber: Subscriber, *, actor: str, now: datetime) -> None:
    """Forget a subscriber and its delivery log (unsubscribing, or an admin's delete)."""
    session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
    record(
        session,
        at=now,
        actor=actor,
        action="status_page.subscriber.remove",
        object_type="status_subscriber",
        object_key=subscriber.code,
        detail={"channel": subscriber.channel, "page": subscriber.page},
    )
    session.delete(subscriber)
    session.flush()


def enable(session: Session, subscriber: Subscriber, *, actor: str, now: datetime) -> None:
    """An admin turns a disabled subscriber back on, its failure count cleared."""
    subscriber.disabled_at = None
    subscriber.disabled_reason = None
    subscriber.failures, subscriber.failing_since = 0, None
    record(
        session,
        at=now,
        actor=actor,
        action="status_page.subscriber.enable",
        object_type="status_subscriber",
        object_key=subscriber.code,
    )
