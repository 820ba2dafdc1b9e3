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
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from tocsin.db.prepared import binds, prepare
from tocsin.paging import runs, subjects
from tocsin.paging.tables import AckToken, EscalationRun, Page


class AckLinkError(Exception):
    """The link is unknown, expired or used; the message is shown to the person."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TOKENS = cast(Table, AckToken.__table__)
_INSERT_TOKEN = insert(_TOKENS).values(
    binds(_TOKENS, ("token_hash", "page_id", "created_at", "expires_at", "used_at"))
)


def issue(session: Session, page_id: int, now: datetime, valid: timedelta) -> str:
    """A new link's token; a core insert on the connection, as every page makes one."""
    token = secrets.token_urlsafe(32)
    connection = session.connection()
    prepare(connection, _INSERT_TOKEN).run(
        connection,
        {
            "token_hash": _digest(token),
            "page_id": page_id,
            "created_at": now,
            "expires_at": now + valid,
            "used_at": None,
        },
    )
    return token


def find_token(session: Session, token: str, now: datetime, *, lock: bool = False) -> AckToken:
    query = select(AckToken).where(AckToken.token_hash == _digest(token))
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise AckLinkError("This acknowledge link is not valid.")
    if found.used_at is not None:
        raise AckLinkError("This acknowledge link was already used.")
    if found.expires_at <= now:
        raise AckLinkError("This acknowledge link has expired.")
    return found


def acknowledge_page(session: Session, page: Page, by: str, now: datetime) -> bool:
    """Acknowledge the escalation ``page`` belongs to, and its subject, as ``by``.

    False if it was not escalating (already acknowledged or resolved).
    """
    run = runs.lock_run(session, page.run_id)
    assert run is not None
    return subjects.acknowledge(session, run, by, now)


def redeem(session: Session, token: str, now: datetime) -> tuple[Page, EscalationRun, bool]:
    """Use a link: the page, its escalation, and whether this acknowledged it."""
    found = find_token(session, token, now, lock=True)
    found.used_at = now
    page = session.get(Page, found.page_id)
    assert page is not None
    acknowledged = acknowledge_page(session, page, page.user_name, now)
    run = session.get(EscalationRun, page.run_id)
    assert run is not None
    return page, run, acknowledged
