"""Handing a new alert group to paging: exactly one durable job per group.

When a group opens (or a suppressed group stops being suppressed) ingest
queues one ``alert_group.opened`` job in the same transaction, with the group
id as its idempotency key, so a group is handed over once however often the
alert is re-sent and whichever process receives it. The job runs every
registered "group opened" hook (paging registers one with :func:`add_hook`)
inside its finishing transaction, so what a hook writes commits exactly once
with the job's completion, then records on the group's history that the
group was opened for paging and which hooks ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tocsin.alerts import history
from tocsin.alerts.tables import AlertGroup
from tocsin.db import prepared
from tocsin.db.prepared import prepare
from tocsin.engine import jobs
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure, batched

JOB_KIND = "alert_group.opened"
SYSTEM = "tocsin"


@dataclass(frozen=True)
class GroupOpened:
    """What a hook is told about the group to page for."""

    group_id: int
    service: str
    title: str
    #: The escalation policy frozen when the group opened (None: the service names none).
    escalation_policy: str | None
    urgency: str
    incident_id: int | None
    opened_at: datetime
    at: datetime
    #: The job running the hooks, for a hook that queues follow-ups (None: not in a job).
    job: JobContext | None = None


@dataclass(frozen=True)
class Hook:
    name: str
    run: Callable[[Session, GroupOpened], None]


HOOKS: list[Hook] = []


def add_hook(name: str, run: Callable[[Session, GroupOpened], None]) -> None:
    """Register a step every opened group runs, in registration order.

    A hook reaches the database only through the session it is given (the
    job's, shared with other jobs): it must not open transactions of its own.
    """
    if any(hook.name == name for hook in HOOKS):
        raise ValueError(f"a group-opened hook named {name!r} is already registered")
    HOOKS.append(Hook(name, run))


def remove_hook(name: str) -> None:
    HOOKS[:] = [hook for hook in HOOKS if hook.name != name]


#: A paging group was acknowledged or resolved: its escalation follows (paging handles it).
CHANGED_JOB = "alert_group.changed"


def changed(session: Session, group_id: int, change: str, now: datetime) -> None:
    """Queue the job that brings the group's escalation into line with ``change``.

    ``change`` is ``acknowledged`` or ``resolved``, each of which happens once
    to a group; the job is keyed by both, so it is queued once.
    """
    jobs.enqueue(
        session,
        CHANGED_JOB,
        {"group_id": group_id, "change": change},
        now=now,
        idempotency_key=f"{CHANGED_JOB}:{group_id}:{change}",
    )


def idempotency_key(group_id: int) -> str:
    return f"{JOB_KIND}:{group_id}"


def enqueue(session: Session, group_id: int, now: datetime) -> bool:
    """Queue paging for the group unless it was queued before; returns whether it was queued now."""
    return jobs.enqueue(
        session,
        JOB_KIND,
        {"group_id": group_id},
        now=now,
        idempotency_key=idempotency_key(group_id),
    )


#: What a hook is told, read as plain columns: the ORM object is not needed.
_OPENED = select(
    AlertGroup.id,
    AlertGroup.service,
    AlertGroup.title,
    AlertGroup.escalation_policy,
    AlertGroup.urgency,
    AlertGroup.incident_id,
    AlertGroup.opened_at,
).where(AlertGroup.id == bindparam("group_id"))


@batched
def run(ctx: JobContext) -> None:
    """Run the hooks in the job's transaction (shared with the claim's other
    batched jobs: hooks reach the database only through the session given)."""
    group_id = int(ctx.payload["group_id"])
    with ctx.transaction() as session, history.deferring(session):
        connection = prepared.reading(session)
        group = prepare(connection, _OPENED).first(connection, {"group_id": group_id})
        if group is None:
            raise PermanentFailure(f"alert group {group_id} does not exist")
        now = ctx.clock.now()
        _, service, title, policy, urgency, incident_id, opened_at = group
        opened = GroupOpened(
            group_id=group_id,
            service=service,
            title=title,
            escalation_policy=policy,
            urgency=urgency,
            incident_id=incident_id,
            opened_at=opened_at,
            at=now,
            job=ctx,
        )
        hooks = list(HOOKS)
        for hook in hooks:
            hook.run(session, opened)
        ran = ", ".join(hook.name for hook in hooks) or "none registered"
        history.record(
            session,
            now,
            "paging",
            SYSTEM,
            f"Opened for paging; hooks: {ran}",
            group_id=group_id,
            hooks=ran,
        )


def register(registry: HandlerRegistry) -> None:
    registry.register(JOB_KIND, run)
