"""The escalation step job and the acknowledgement timeout job.

A step job carries its run, the run's step token and the step it is for. It
does its work only if that is still the run's next step
(:func:`tocsin.domain.escalation_run.step_is_current`); otherwise the run was
acknowledged, resolved or rescheduled since the job was queued and the job
is dropped (Grafana OnCall's lesson: tag scheduled steps with their run and
drop superseded ones). Everything it does — pages, notifications, the next
step — commits with the job's completion, exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain import escalation_run as machine
from tocsin.domain.escalation import Policy, StepOutcome, StopReason, Urgency, decide, unreached
from tocsin.domain.notification_rules import ContactMethod
from tocsin.engine.registry import JobContext, batched
from tocsin.notify.settings import NotifySettings
from tocsin.paging import delivery, runs, statements
from tocsin.paging.directory import Directory
from tocsin.paging.jobs import AcknowledgementTimeout, StepDue
from tocsin.paging.pages import alarm, page_person
from tocsin.paging.statements import Run
from tocsin.paging.subjects import synchronise
from tocsin.paging.timeline import deferring, record
from tocsin.telemetry import instruments as telemetry


@batched
def run_step(ctx: JobContext, due: StepDue) -> None:
    with ctx.transaction() as session, deferring(session):
        run = statements.lock_run(session, due.run_id)
        now = ctx.clock.now()
        if run is not None:
            synchronise(session, run, now)
        if run is None or not machine.step_is_current(run.status, due.token, due.index):
            return
        take_step(ctx, session, run, now)


def take_step(ctx: JobContext, session: Session, run: Run, now: datetime) -> None:
    """Take the run's next step in ``ctx``'s transaction: page, record, schedule the next.

    The run is locked and escalating. Called by the step job, and by the job
    that starts an escalation, which takes its first step at once (see
    :func:`first_step`). How late the step is taken is recorded for ``/metrics``.
    """
    if run.next_step_at is not None:
        telemetry.escalation_step_taken(now - run.next_step_at)
    policy = Policy.from_snapshot(run.policy)
    directory = Directory.shared(ctx.shared, session)
    decision = decide(
        policy,
        run.step_index,
        run.next_step_at or now,
        directory.resolver(run.team),
        urgency=Urgency(run.urgency),
        reached_somebody=run.reached_somebody,
    )
    reached = run.reached_somebody
    outcome = decision.outcome
    if outcome is not None:
        if _page(ctx, session, directory, run, outcome, now):
            reached = True
        elif outcome.people:
            decision = unreached(policy, outcome)
    if decision.stopped is not None:
        _finish(session, run, policy, decision.stopped, reached, now)
        return
    assert decision.next_index is not None and decision.next_at is not None
    runs.advance(
        session,
        run,
        now,
        step_index=decision.next_index,
        next_step_at=decision.next_at,
        reached_somebody=reached,
    )


def _page(
    ctx: JobContext,
    session: Session,
    directory: Directory,
    run: Run,
    outcome: StepOutcome,
    now: datetime,
) -> bool:
    """Page the people of the step; whether any page is alive (the step reached somebody)."""
    number = f"step {outcome.step + 1}" + (f" (repeat {outcome.round})" if outcome.round else "")
    targets = ", ".join(each.target.describe() for each in outcome.targets)
    if not outcome.people:
        text = f"{number}: {targets}: {outcome.nobody_reason}; moving on"
        record(session, run, now, "nobody", text, step=str(outcome.index))
        return False
    directory.read_people(outcome.people)
    settings, config = NotifySettings.from_env(), directory.paging()

    def send_now(page_id: int, person: str, method: ContactMethod) -> bool:
        return delivery.deliver_with_step(
            ctx, session, settings, config, run, page_id, person, method
        )

    record(session, run, now, "step", f"{number}: {targets}", step=str(outcome.index))
    dead = 0
    for person in outcome.people:
        paged = page_person(session, directory, run, person, outcome.index, now, send_now=send_now)
        dead += paged.dead
    if dead < len(outcome.people):
        return True
    text = f"{number}: every page is dead; moving on"
    record(session, run, now, "nobody", text, step=str(outcome.index))
    return False


def _finish(
    session: Session,
    run: Run,
    policy: Policy,
    stopped: StopReason,
    reached: bool,
    now: datetime,
) -> None:
    """No further step: say why, and alarm the admins if the escalation reached nobody."""
    runs.advance(
        session,
        run,
        now,
        step_index=policy.total_steps,
        next_step_at=None,
        reached_somebody=reached,
    )
    if stopped is StopReason.EXHAUSTED:
        text = "no further step: the policy is exhausted"
    else:
        text = f"no further step: {stopped.value}"
    record(session, run, now, "finished", text)
    if not run.reached_somebody:
        record(session, run, now, "unreached", "the escalation reached nobody")
        alarm(
            session,
            f"run:{run.id}:{run.step_token}",
            f"[Tocsin] Escalation {run.id} reached nobody",
            f"Escalation {run.id} ({run.title}) with policy {run.policy_name} "
            "finished without paging anybody: every step found nobody.",
            now,
        )


def first_step(ctx: JobContext | None) -> runs.FirstStep | None:
    """How a job starting escalations takes their first steps itself (None: queue them).

    The first step is due the moment a run starts; taking it in the starting
    job's own transaction saves a job (its row, its claim, reading the run
    and its subject again) and the wait for a worker, and it commits exactly
    once with that job. Only a batched job can: the step's page is sent as
    a follow-up of the job that takes it.
    """
    if ctx is None or ctx.batch is None:
        return None
    context = ctx

    def take(session: Session, run: Run, now: datetime) -> None:
        # Its subject may have been acknowledged or resolved since it opened.
        synchronise(session, run, now)
        if run.state == machine.RunState.ACTIVE:
            take_step(context, session, run, now)

    return take


@batched
def acknowledgement_timeout(ctx: JobContext, timeout: AcknowledgementTimeout) -> None:
    """Escalate again if the run is still acknowledged by the same acknowledgement."""
    with ctx.transaction() as session:
        run = statements.lock_run(session, timeout.run_id)
        if run is None or not machine.timeout_is_current(run.status, timeout.token):
            return
        runs.retrigger(
            session, run, ctx.clock.now(), "acknowledged but not resolved in time: re-triggered"
        )
