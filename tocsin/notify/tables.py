"""The outbox of ``TOCSIN_DELIVERY=outbox``: messages recorded instead of sent.

In outbox mode (on by default with ``tocsin serve --demo``) every channel
(email, SMS, webhooks, chat, Apprise...) writes what it would have sent here
and the delivery counts as sent. A row never holds a secret: URL targets
(webhooks, chat and Apprise URLs, which often carry tokens) are shortened,
acknowledge links lose their token; personal addresses (email, phone) are kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base

#: What an outbox message is.
PAGE, STAKEHOLDER, ALARM, HANDOFF = "page", "stakeholder", "alarm", "handoff"
#: A status page subscriber's message.
STATUS = "status"
#: A communications message of the status page: an overdue update reminder, an
#: internal report or a customer notification.
COMMUNICATION = "communication"
KINDS = (PAGE, STAKEHOLDER, ALARM, HANDOFF, STATUS, COMMUNICATION)


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    #: What the message is: one of KINDS.
    kind: Mapped[str] = mapped_column(String(30))
    #: The person it is for, when it is for a person (an alarm may go to an address only).
    user_name: Mapped[str | None] = mapped_column(String(100), index=True)
    #: The contact method type: email, sms, webhook, slack...
    channel: Mapped[str] = mapped_column(String(30))
    #: Where it would have gone, without secrets.
    address: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    #: The message's idempotency key: a retried delivery is recorded once.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
