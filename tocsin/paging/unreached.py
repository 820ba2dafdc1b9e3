"""A step whose pages all ended dead reached nobody: the escalation moves on to its next step.

A page dies during its step when the person has no contact method (see
:func:`tocsin.paging.steps.take_step`), or later, when delivery has failed on
every contact method (:func:`tocsin.paging.delivery.fail_over`). In the
second case the escalation may be waiting out the step's timeout, or, at low
urgency, may have stopped because the step seemed to reach somebody: when
the dead page was the last open page of the latest step taken, the next step
is taken now instead, at any urgency.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.escalation import Policy
from tocsin.paging import runs
from tocsin.paging import tables as store
from tocsin.paging.tables import EscalationRun, Page


def lock_run(session: Session, run_id: int) -> EscalationRun | None:
    """The run, locked and read afresh (the session may hold an older copy)."""
    return session.scalar(
        select(EscalationRun)
        .where(EscalationRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _open_page(session: Session, run_id: int, step_index: int | None = None) -> bool:
    query = select(Page.id).where(Page.run_id == run_id, Page.state == store.PAGE_OPEN)
    if step_index is not None:
        query = query.where(Page.step_index == step_index)
    return session.scalar(query.limit(1)) is not None


def move_on(session: Session, run: EscalationRun, page: Page, now: datetime) -> None:
    """After ``page`` died: take the next step now if its step has reached nobody.

    ``run`` is the page's escalation, locked (:func:`lock_run`).
    """
    if run.state != store.ACTIVE:
        return
    policy = Policy.from_snapshot(run.policy)
    following = page.step_index + 1
    stopped = run.next_step_at is None and run.step_index >= policy.total_steps
    if following >= policy.total_steps or not (run.step_index == following or stopped):
        return  # the policy is exhausted, or a later step has been taken since
    if _open_page(session, run.id, page.step_index):
        return  # somebody else this step paged may still answer
    run.step_index = following
    run.step_token += 1
    run.reached_somebody = _open_page(session, run.id)
    run.updated_at = now
    round_, step = policy.position(page.step_index)
    number = f"step {step + 1}" + (f" (repeat {round_})" if round_ else "")
    runs.record(
        session,
        run,
        now,
        "nobody",
        f"{number}: every page is dead; moving on",
        step=str(page.step_index),
    )
    runs.enqueue_step(session, run, now, now)
