"""Calendar feed tokens: a secret URL per schedule or per person, revocable, stored hashed.

Calendar apps cannot send an Authorization header, so the token is the whole
credential and sits in the URL. It carries 256 random bits; only its SHA-256
digest is stored, and it is shown once, when the feed is created.

Anyone may subscribe to a schedule's feed or to their own; a feed of someone
else's shifts needs an admin. The feed's creator, the person it is about, or
an admin may list and revoke it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.auth.secrets import digest
from tocsin.auth.tables import User
from tocsin.config import known_names
from tocsin.config.tables import Definition
from tocsin.db import audit
from tocsin.domain.refusals import Conflict, Forbidden, Invalid, NotFound
from tocsin.oncall import schedules
from tocsin.oncall.tables import CalendarFeed

TOKEN_PREFIX = "tcf_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create(
    session: Session,
    *,
    schedule: str | None,
    user: str | None,
    actor: str,
    admin: bool,
    now: datetime,
    remote_addr: str | None,
) -> tuple[CalendarFeed, str]:
    """A new feed for one schedule or one person, and its token (shown once)."""
    if (schedule is None) == (user is None):
        raise Invalid("schedule", "give either schedule or user, not both or neither")
    feed = CalendarFeed(created_by=actor, created_at=now)
    if schedule is not None:
        feed.schedule_id = schedules.definition(session, schedule).id
        subject = f"schedule {schedule}"
    else:
        assert user is not None
        person = find_user(session, user)
        if person is None:
            raise Invalid("user", known_names.unknown_user(session, user))
        if person.name != actor and not admin:
            raise Forbidden("only an admin may create a calendar feed of someone else's shifts")
        feed.user_id = person.id
        subject = f"user {user}"
    token = new_token()
    feed.token_hash, feed.prefix = digest(token), token[:10]
    session.add(feed)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="oncall.calendar_feed.create",
        object_type="calendar_feed",
        object_key=str(feed.id),
        detail={"for": subject, "prefix": feed.prefix},
        remote_addr=remote_addr,
    )
    return feed, token


def subject(session: Session, feed: CalendarFeed) -> tuple[str | None, str | None]:
    """(schedule name, user name) of a feed: exactly one is set."""
    if feed.schedule_id is not None:
        schedule = session.get(Definition, feed.schedule_id)
        return (schedule.name if schedule is not None else None), None
    person = session.get(User, feed.user_id) if feed.user_id is not None else None
    return None, (person.name if person is not None else None)


def _mine(session: Session, actor: str) -> list[int]:
    person = find_user(session, actor)
    return [] if person is None else [person.id]


def listing(session: Session, *, actor: str, admin: bool) -> list[CalendarFeed]:
    """Live feeds the caller created or that are about them (every one, for an admin)."""
    query = select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None))
    if not admin:
        query = query.where(
            or_(CalendarFeed.created_by == actor, CalendarFeed.user_id.in_(_mine(session, actor)))
        )
    return list(session.scalars(query.order_by(CalendarFeed.id)))


def revoke(
    session: Session,
    feed_id: int,
    *,
    actor: str,
    admin: bool,
    now: datetime,
    remote_addr: str | None,
) -> None:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None:
        raise NotFound(f"no calendar feed {feed_id}")
    if not admin and actor != feed.created_by and feed.user_id not in _mine(session, actor):
        raise Forbidden("only the feed's creator, the person it shows, or an admin may revoke it")
    if feed.revoked_at is not None:
        raise Conflict(f"calendar feed {feed_id} is already revoked")
    feed.revoked_at = now
    audit.record(
        session,
        at=now,
        actor=actor,
        action="oncall.calendar_feed.revoke",
        object_type="calendar_feed",
        object_key=str(feed.id),
        detail={"prefix": feed.prefix},
        remote_addr=remote_addr,
    )


def find(session: Session, token: str) -> CalendarFeed | None:
    """The live feed ``token`` opens, or None (unknown or revoked)."""
    return session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == digest(token), CalendarFeed.revoked_at.is_(None)
        )
    )
