"""Recording messages in the outbox instead of sending them (``TOCSIN_DELIVERY=outbox``).

What is recorded is what would have been sent, to whom, when and on which
channel, without secrets (see :mod:`tocsin.notify.tables`): email addresses
and phone numbers are kept, since they are what an admin needs to see who
would have been reached; URL targets are shortened to their host, and the
token of every acknowledge link is hidden.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.notification_rules import ContactMethod, redact
from tocsin.notify.message import Message
from tocsin.notify.tables import OutboxMessage

#: Contact method types whose address is a personal address shown as it is.
PERSONAL = frozenset({"email", "sms", "voice"})
_ACK_LINK = re.compile(r"/ack/[A-Za-z0-9_-]+")
HIDDEN_TOKEN = "/ack/[token hidden]"
_SUBJECT_LENGTH = 500


def shown_address(method: ContactMethod) -> str:
    """The method's target as the outbox shows it: personal addresses whole, URLs shortened.

    An http(s) URL keeps its host; any other scheme (Apprise's ``tgram://``,
    ``pover://``...) keeps nothing but the scheme, since those put tokens
    where a host would be.
    """
    target = method.target
    if method.type in PERSONAL:
        return target
    scheme, separator, _ = target.partition("://")
    if separator and scheme.lower() not in ("http", "https"):
        return f"{scheme}://…"
    return redact(target)


def without_secrets(text: str) -> str:
    """``text`` with the token of every acknowledge link hidden."""
    return _ACK_LINK.sub(HIDDEN_TOKEN, text)


def record(
    session: Session,
    *,
    kind: str,
    user_name: str | None,
    method: ContactMethod,
    message: Message,
    now: datetime,
) -> bool:
    """Write ``message`` to the outbox once per idempotency key; False if it was already there."""
    exists = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == message.idempotency_key)
    )
    if exists is not None:
        return False
    session.add(
        OutboxMessage(
            created_at=now,
            kind=kind,
            user_name=user_name,
            channel=method.type,
            address=shown_address(method),
            subject=without_secrets(message.subject)[:_SUBJECT_LENGTH],
            body=without_secrets(message.body),
            idempotency_key=message.idempotency_key,
        )
    )
    return True


def listing(
    session: Session, *, user: str | None = None, kind: str | None = None, limit: int = 50
) -> list[OutboxMessage]:
    """Recorded messages, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if user is not None:
        query = query.where(OutboxMessage.user_name == user)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query))


def find(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)
