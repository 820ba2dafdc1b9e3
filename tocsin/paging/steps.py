"""The escalation step job and the acknowledgement timeout job.

A step job is ``{"run_id", "token", "index"}``. It does its work only if the
run is still escalating with that token and that step next; otherwise the
run was acknowledged, resolved or rescheduled since the job was queued and
the job is dropped (Grafana OnCall's lesson: tag scheduled steps with their
run and drop superseded ones). Everything it does — pages, notifications,
the next step — commits with the job's completion, exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.escalation import Policy, StopReason, Urgency, decide, unreached
from tocsin.domain.notification_rules import ContactMethod
from tocsin.engine.registry import JobContext, batched
from tocsin.notify.settings import NotifySettings
from tocsin.paging import delivery, runs
from tocsin.paging import tables as store
from tocsin.paging.directory import Directory
from tocsin.paging.subjects import synchronise
from tocsin.paging.tables import EscalationRun


@batched
def run_step(ctx: JobContext) -> None:
    payload = ctx.payload
    with ctx.transaction() as session, runs.deferring(session):
        run = runs.lock_run(session, int(payload["run_id"]))
        now = ctx.clock.now()
        if run is not None:
            synchronise(session, run, now)
        if (
            run is None
            or run.state != store.ACTIVE
            or run.step_token != int(payload["token"])
            or run.step_index != int(payload["index"])
        ):
            return
        take_step(ctx, session, run, now)


def take_step(ctx: JobContext, session: Session, run: EscalationRun, now: datetime) -> None:
    """Take the run's next step in ``ctx``'s transaction: page, record, schedule the next.

    The run is locked and escalating. Called by the step job, and by the job
    that starts an escalation, which takes its first step at once (see
    :func:`first_step`).
    """
    due = run.next_step_at or now
    policy = Policy.from_snapshot(run.policy)
    directory = Directory.shared(ctx.shared, session)
    decision = decide(
        policy,
        run.step_index,
        due,
        directory.resolver(run.team),
        urgency=Urgency(run.urgency),
        reached_somebody=run.reached_somebody,
    )
    outcome = decision.outcome
    reached = run.reached_somebody
    if outcome is not None:
        number = f"step {outcome.step + 1}" + (
            f" (repeat {outcome.round})" if outcome.round else ""
        )
        targets = ", ".join(each.target.describe() for each in outcome.targets)
        if outcome.people:
            directory.read_people(outcome.people)
            settings, config = NotifySettings.from_env(), directory.paging()

            def send_now(page_id: int, person: str, method: ContactMethod) -> bool:
                return delivery.deliver_with_step(
                    ctx, session, settings, config, run, page_id, person, method
                )

            runs.record(session, run, now, "step", f"{number}: {targets}", step=str(outcome.index))
            dead = 0
            for person in outcome.people:
                dead += runs.page_person(
                    session, directory, run, person, outcome.index, now, send_now=send_now
                ).dead
            if dead < len(outcome.people):
                reached = True
            else:
                runs.record(
                    session,
                    run,
                    now,
                    "nobody",
                    f"{number}: every page is dead; moving on",
                    step=str(outcome.index),
                )
                decision = unreached(policy, outcome)
        else:
            runs.record(
                session,
                run,
                now,
                "nobody",
                f"{number}: {targets}: {outcome.nobody_reason}; moving on",
                step=str(outcome.index),
            )
    if decision.stopped is not None:
        runs.advance(
            session,
            run,
            now,
            step_index=policy.total_steps,
            next_step_at=None,
            reached_somebody=reached,
        )
        if decision.stopped is StopReason.EXHAUSTED:
            text = "no further step: the policy is exhausted"
        else:
            text = f"no further step: {decision.stopped.value}"
        runs.record(session, run, now, "finished", text)
        if not run.reached_somebody:
            runs.record(session, run, now, "unreached", "the escalation reached nobody")
            runs.alarm(
                session,
                f"run:{run.id}:{run.step_token}",
                f"[Tocsin] Escalation {run.id} reached nobody",
                f"Escalation {run.id} ({run.title}) with policy {run.policy_name} "
                "finished without paging anybody: every step found nobody.",
                now,
            )
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

    def take(session: Session, run: EscalationRun, now: datetime) -> None:
        # Its subject may have been acknowledged or resolved since it opened.
        synchronise(session, run, now)
        if run.state == store.ACTIVE:
            take_step(context, session, run, now)

    return take


@batched
def acknowledgement_timeout(ctx: JobContext) -> None:
    """Escalate again if the run is still acknowledged by the same acknowledgement."""
    payload = ctx.payload
    with ctx.transaction() as session:
        run = runs.lock_run(session, int(payload["run_id"]))
        if (
            run is None
            or run.state != store.ACKNOWLEDGED
            or run.step_token != int(payload["token"])
        ):
            return
        runs.retrigger(
            session, run, ctx.clock.now(), "acknowledged but not resolved in time: re-triggered"
        )
