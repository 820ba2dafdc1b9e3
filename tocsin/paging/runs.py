"""Escalation runs: start one, and act on it (acknowledge, resolve, re-trigger, escalate now,
re-assign, move on, take a step).

What each action does to the run is decided by the state machine in
:mod:`tocsin.domain.escalation_run`; here it is applied: the run's new status
written (:func:`tocsin.paging.statements.write_status`), its pages closed,
the event recorded, and the step it queues queued. Every function works in
the caller's transaction and queues its side effects as jobs in it, so a
committed change always has them queued and a rolled-back one never does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tocsin.config import known_names
from tocsin.domain import escalation_run as machine
from tocsin.domain.escalation import Policy, Urgency
from tocsin.domain.escalation_run import Transition
from tocsin.engine import jobs as queue
from tocsin.paging import jobs, statements
from tocsin.paging.config_schema import ESCALATION_POLICY_KIND
from tocsin.paging.directory import Directory
from tocsin.paging.pages import page_person
from tocsin.paging.refusals import EscalationRaced, NothingToPage, UnknownPerson
from tocsin.paging.statements import Run
from tocsin.paging.timeline import record

#: Takes a run's first step in the transaction that started it (see ``steps.first_step``).
FirstStep = Callable[[Session, Run, datetime], None]


def start(
    session: Session,
    *,
    subject_type: str,
    subject_key: str,
    title: str,
    policy_name: str,
    urgency: Urgency,
    now: datetime,
    service: str | None = None,
    incident_id: int | None = None,
    first_step: FirstStep | None = None,
) -> Run:
    """Start escalating ``subject`` with the policy as it is now; the open run if there is one.

    ``first_step`` takes the new run's first step in this transaction;
    without it the step is queued as a job due now.

    The run is inserted unless one is open for the subject (the database's
    unique index decides, so concurrent starts cannot both insert).
    """
    directory = Directory(session)
    policy = directory.policy(policy_name)
    if policy is None:
        existing = statements.open_run(session, subject_type, subject_key)
        if existing is not None:
            return existing
        raise NothingToPage(
            known_names.unknown_definition(session, ESCALATION_POLICY_KIND, policy_name)
        )
    fixed: dict[str, Any] = {
        "subject_type": subject_type,
        "subject_key": subject_key,
        "title": title[:500],
        "incident_id": incident_id,
        "service": service,
        "team": directory.owning_team(service, policy_name),
        "policy_name": policy_name,
        "policy": policy.snapshot(),
        "urgency": urgency.value,
        "started_at": now,
    }
    status = machine.started(now)
    run_id = statements.insert_run(session, fixed, status)
    if run_id is None:
        existing = statements.open_run(session, subject_type, subject_key)
        if existing is None:
            raise EscalationRaced(f"escalation of {subject_type} {subject_key} changed; try again")
        return existing
    run = Run(id=run_id, status=status, **fixed)
    record(
        session,
        run,
        now,
        "started",
        f"escalation started with policy {policy_name} ({urgency.value} urgency)",
        policy=policy_name,
    )
    if first_step is not None:
        first_step(session, run, now)
    else:
        _queue_step(session, run, now, now)
    return run


def _apply(session: Session, run: Run, transition: Transition, now: datetime) -> None:
    """Write the run's new status, and queue the step it makes due."""
    statements.write_status(session, run, transition.status)
    if transition.step_due is not None:
        _queue_step(session, run, now, transition.step_due)


def _queue_step(session: Session, run: Run, now: datetime, at: datetime) -> None:
    payload = jobs.StepDue(run_id=run.id, token=run.step_token, index=run.step_index)
    queue.enqueue(
        session, jobs.STEP, payload, now=now, run_at=at, idempotency_key=jobs.step_key(payload)
    )


def advance(
    session: Session,
    run: Run,
    now: datetime,
    *,
    step_index: int,
    next_step_at: datetime | None,
    reached_somebody: bool,
) -> None:
    """Record that a step ran: the step due next, when (None: no further step), and
    whether the escalation has reached anybody; queue that step's job."""
    transition = machine.advance(
        run.status,
        now,
        step_index=step_index,
        next_step_at=next_step_at,
        reached_somebody=reached_somebody,
    )
    _apply(session, run, transition, now)


def acknowledge(session: Session, run: Run, by: str, now: datetime) -> bool:
    """Stop the escalation; False when it was not escalating (already acknowledged or resolved)."""
    transition = machine.acknowledge(run.status, by, now)
    if transition is None:
        return False
    _apply(session, run, transition, now)
    statements.close_pages(session, run.id, by, now)
    record(session, run, now, "acknowledged", f"acknowledged by {by}", by=by)
    timeout = Directory(session).paging().acknowledgement_timeout_minutes
    if timeout is not None:
        queue.enqueue(
            session,
            jobs.ACK_TIMEOUT,
            jobs.AcknowledgementTimeout(run_id=run.id, token=run.step_token),
            now=now,
            run_at=now + timedelta(minutes=timeout),
            idempotency_key=f"{jobs.ACK_TIMEOUT.name}:{run.id}:{run.step_token}",
        )
    return True


def resolve(session: Session, run: Run, by: str, now: datetime) -> bool:
    """Stop everything: no further step, notification or re-trigger."""
    transition = machine.resolve(run.status, now)
    if transition is None:
        return False
    _apply(session, run, transition, now)
    statements.close_pages(session, run.id, None, now)
    record(session, run, now, "resolved", f"resolved by {by}", by=by)
    return True


def retrigger(session: Session, run: Run, now: datetime, why: str) -> None:
    """Escalate again from the first step (an acknowledgement timed out)."""
    transition = machine.retrigger(run.status, now)
    statements.write_status(session, run, transition.status)
    record(session, run, now, "retriggered", why)
    _queue_step(session, run, now, now)


def escalate_now(session: Session, run: Run, by: str, now: datetime) -> None:
    """Run the next step at once instead of waiting for the current step's timeout."""
    transition = machine.escalate_now(run.id, run.status, Policy.from_snapshot(run.policy), now)
    statements.write_status(session, run, transition.status)
    record(session, run, now, "escalated", f"{by} escalated to the next step now", by=by)
    _queue_step(session, run, now, now)


def reassign(session: Session, run: Run, user: str, by: str, now: datetime) -> int:
    """Page ``user`` now instead; the policy resumes after the current step's timeout.

    Returns the new page's id.
    """
    transition = machine.reassign(run.id, run.status, Policy.from_snapshot(run.policy), now)
    directory = Directory(session)
    if directory.user(user) is None:
        raise UnknownPerson(known_names.unknown_user(session, user))
    statements.write_status(session, run, transition.status)
    statements.close_pages(session, run.id, None, now)
    record(session, run, now, "reassigned", f"{by} re-assigned to {user}", by=by, user=user)
    step = machine.reassigned_step(run.status)
    page_id = page_person(session, directory, run, user, step, now).page_id
    if transition.step_due is not None:
        _queue_step(session, run, now, transition.step_due)
    return page_id


def move_on(session: Session, run: Run, page_step: int, now: datetime) -> None:
    """After a page of step ``page_step`` died: take the next step now if that step
    has reached nobody.

    A page dies during its step when the person has no contact method (the
    step itself moves on then: :func:`tocsin.paging.steps.take_step`), or
    later, when delivery failed on every contact method
    (:func:`tocsin.paging.delivery.fail_over`). In the second case the run
    may be waiting out the step's timeout, or, at low urgency, may have
    stopped because the step seemed to reach somebody: when the dead page was
    the last open page of the latest step taken, the next step is taken now,
    at any urgency. ``run`` is locked.
    """
    policy = Policy.from_snapshot(run.policy)
    following = machine.step_after_dead_page(run.status, policy, page_step)
    if following is None or statements.has_open_page(session, run.id, page_step):
        return  # or somebody else this step paged may still answer
    reached = statements.has_open_page(session, run.id)
    transition = machine.move_on(run.status, following, reached, now)
    statements.write_status(session, run, transition.status)
    round_, step = policy.position(page_step)
    number = f"step {step + 1}" + (f" (repeat {round_})" if round_ else "")
    record(
        session,
        run,
        now,
        "nobody",
        f"{number}: every page is dead; moving on",
        step=str(page_step),
    )
    _queue_step(session, run, now, now)
