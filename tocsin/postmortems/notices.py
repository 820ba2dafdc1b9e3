"""Messages to people about postmortems and action items, through paging's path.

Reminders to a postmortem's or an action item's owner, and each team's
weekly digest of its action items, are all notices.

Queueing one is a ``postmortems.message`` job written in the caller's
transaction under an idempotency key, so a message is queued at most once
whatever retries or races happen. Its handler sends it to the person's first
contact method that takes it (their email when they have none) through
:func:`tocsin.paging.notices.send_notice`; in outbox mode
(``TOCSIN_DELIVERY=outbox``) it is recorded in the outbox (kind
``communication``) instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure
from tocsin.notify import tables as outbox_store
from tocsin.notify.message import Message
from tocsin.paging.notices import reachable, send_or_give_up


@dataclass(frozen=True)
class Notice:
    """One message to one Tocsin user about a postmortem, an action item or a team's items."""

    user: str
    subject: str
    body: str
    #: What it is, in the message's ``data.event`` (webhooks and chat see it).
    event: str
    #: What it is about, in the message's ``data`` (those given: not empty).
    postmortem: str = ""
    incident: str = ""
    action_item: str = ""
    team: str = ""

    def data(self) -> dict[str, str]:
        about = {
            "postmortem": self.postmortem,
            "incident": self.incident,
            "action_item": self.action_item,
            "team": self.team,
        }
        return {"event": self.event, **{name: value for name, value in about.items() if value}}


MESSAGE = JobKind("postmortems.message", Notice)


def queue(session: Session, notice: Notice, *, key: str, now: datetime) -> bool:
    """Queue ``notice`` once per ``key`` (in the caller's transaction); False if it was."""
    return jobs.enqueue(session, MESSAGE, notice, now=now, idempotency_key=f"{MESSAGE.name}:{key}")


def send(ctx: JobContext, notice: Notice) -> None:
    """The ``postmortems.message`` job: deliver it (or record it in the outbox)."""
    with ctx.database.sessions() as session:
        methods = reachable(session, notice.user)
    if not methods:
        raise PermanentFailure(f"{notice.user} has no contact method or email")
    message = Message(
        subject=notice.subject,
        body=notice.body,
        idempotency_key=f"tocsin-postmortem-{ctx.job.id}",
        data=notice.data(),
    )
    send_or_give_up(
        ctx,
        kind=outbox_store.COMMUNICATION,
        user_name=notice.user,
        methods=methods,
        message=message,
    )


def register(registry: HandlerRegistry) -> None:
    registry.register(MESSAGE, send)
