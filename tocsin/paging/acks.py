"""Acknowledging: by page or escalation id (API, CLI), or through a single-use link.

An acknowledge link is ``/ack/<token>``: 256 random bits, unguessable, of
which only the SHA-256 digest is stored (a database leak gives away no
link). A token expires (``paging.ack_link_hours``, 24 by default) and works
once.

Every way of acknowledging goes through :func:`tocsin.paging.subjects.acknowledge`,
so acknowledging a page also acknowledges what it was about (the alert
group, the incident).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.refusals import Conflict, NotFound
from tocsin.paging import statements, subjects
from tocsin.paging.statements import Run
from tocsin.paging.tables import AckToken, Page


class AckLinkRefused(NotFound):
    """The link is unknown, expired or used; the message is shown to the person."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, page_id: int, now: datetime, valid: timedelta) -> str:
    """A new link's token (every notification sent makes one)."""
    token = secrets.token_urlsafe(32)
    statements.insert_ack_token(session, _digest(token), page_id, now, now + valid)
    return token


def find_token(session: Session, token: str, now: datetime, *, lock: bool = False) -> AckToken:
    query = select(AckToken).where(AckToken.token_hash == _digest(token))
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise AckLinkRefused("This acknowledge link is not valid.")
    if found.used_at is not None:
        raise AckLinkRefused("This acknowledge link was already used.")
    if found.expires_at <= now:
        raise AckLinkRefused("This acknowledge link has expired.")
    return found


def acknowledge_page(session: Session, page: Page, by: str, now: datetime) -> Run | None:
    """Acknowledge the escalation ``page`` belongs to, and its subject, as ``by``.

    Returns the escalation when this acknowledged it; None if it was not
    escalating (already acknowledged or resolved).
    """
    run = statements.lock_run(session, page.run_id)
    assert run is not None
    return run if subjects.acknowledge(session, run, by, now) else None


def acknowledge(session: Session, page_id: int, by: str, now: datetime) -> Run:
    """Acknowledge page ``page_id``'s escalation as ``by``: the API's and the console's action.

    Raises :class:`NotFound` for an unknown page and :class:`Conflict` when its
    escalation is no longer escalating (acknowledged or resolved already).
    """
    page = session.get(Page, page_id)
    if page is None:
        raise NotFound(f"no page {page_id}")
    run = acknowledge_page(session, page, by, now)
    if run is None:
        found = statements.find_run(session, page.run_id)
        raise Conflict(f"escalation is {found.state if found else 'gone'}")
    return run


def redeem(session: Session, token: str, now: datetime) -> tuple[Page, Run, bool]:
    """Use a link: the page, its escalation, and whether this acknowledged it."""
    found = find_token(session, token, now, lock=True)
    found.used_at = now
    page = session.get(Page, found.page_id)
    assert page is not None
    acknowledged = acknowledge_page(session, page, page.user_name, now) is not None
    # The page as acknowledging left it (its state changed in the database).
    session.refresh(page)
    run = statements.find_run(session, page.run_id)
    assert run is not None
    return page, run, acknowledged
