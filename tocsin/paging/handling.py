"""What a person does to an escalation in flight: the API's and the console's one way to do it.

Each action locks the escalation first; an unknown one is :class:`NotFound`,
one that is no longer in a state for the action is :class:`Conflict`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.refusals import Conflict, NotFound
from tocsin.paging import runs, statements, subjects
from tocsin.paging.statements import Run


def locked(session: Session, run_id: int) -> Run:
    run = statements.lock_run(session, run_id)
    if run is None:
        raise NotFound(f"no escalation {run_id}")
    return run


def acknowledge(session: Session, run_id: int, by: str, now: datetime) -> Run:
    """No further step; its alert group or incident is acknowledged too."""
    run = locked(session, run_id)
    if not subjects.acknowledge(session, run, by, now):
        raise Conflict(f"escalation is {run.state}")
    return run


def resolve(session: Session, run_id: int, by: str, now: datetime) -> Run:
    """Stop everything."""
    run = locked(session, run_id)
    if not runs.resolve(session, run, by, now):
        raise Conflict(f"escalation is {run.state}")
    return run


def escalate(session: Session, run_id: int, by: str, now: datetime) -> Run:
    """Run the next step now, without waiting for its timeout."""
    run = locked(session, run_id)
    runs.escalate_now(session, run, by, now)
    return run


def reassign(session: Session, run_id: int, user: str, by: str, now: datetime) -> Run:
    """Page ``user`` now; the policy resumes after the step's timeout."""
    run = locked(session, run_id)
    runs.reassign(session, run, user, by, now)
    return run
