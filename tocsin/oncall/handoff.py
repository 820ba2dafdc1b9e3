"""Handoffs: at every handoff a durable job builds and stores the report for both people.

How the jobs are kept in step with schedules
--------------------------------------------
Each (schedule, layer) has a chain of ``oncall.handoff`` jobs, one per handoff
instant, keyed ``oncall.handoff:<schedule id>:<instant>:<layer>`` so that
enqueueing the same handoff twice is a no-op. A handoff job, when it runs:

1. reloads the schedule as it is now and checks that its instant is still a
   handoff on its layer (an edit may have moved it); if so, builds the report
   and stores it (once: reports are unique per schedule, layer and instant),
   queueing its delivery to both people (:mod:`tocsin.oncall.handoff_notices`);
2. enqueues the layer's next handoff after its instant, whether or not it was
   still a handoff, so the chain carries on by itself.

Any change that can move handoffs plans them again from the moment of the
change: for every layer, the first handoff at or after it is enqueued.

- Creating or removing an override (the API, the CLI, an accepted swap)
  enqueues an ``oncall.handoff.plan`` job in the same transaction
  (:func:`request_plan`).
- Writing a schedule definition (``tocsin config apply``, the definitions API)
  queues configuration's ``config.definitions.written`` job in the same
  transaction; the composition root has it run :func:`schedules_written`.

Chains started by a plan and older chains compute their next instants from
the same current schedule, so they meet on the same keys and continue as one;
a job left at an instant that is no longer a handoff finds that out when it
runs and only passes the chain on.

Because jobs live in the database, handoffs survive restarts; a handoff job
running late (the server was down) still reports, and its chain catches up on
at most :data:`CATCH_UP` of missed handoffs before jumping to the present.
Deleting a schedule deletes its reports and ends its chains (their jobs find
no schedule and stop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.config.tables import Definition
from tocsin.domain.refusals import NotFound
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.oncall import handoff_notices, schedules
from tocsin.oncall.config_schema import SCHEDULE
from tocsin.oncall.handoff_points import LOOKBACK, SEARCH_LIMIT, handoff_point
from tocsin.oncall.handoff_points import next_handoff as next_instant
from tocsin.oncall.handoff_reports import store_report

#: How many missed handoffs a late chain reports before jumping to the present.
CATCH_UP = timedelta(days=7)


@dataclass(frozen=True)
class Handoff:
    """The handoff at ``at`` on ``layer`` of the schedule whose definition is ``schedule_id``."""

    schedule_id: int
    layer: str
    at: datetime


@dataclass(frozen=True)
class PlanHandoffs:
    """Plan a schedule's handoffs from ``since`` on.

    The schedule is named by definition id; jobs queued by earlier releases
    for a schedule not flushed yet name it by ``schedule`` (its name) instead.
    """

    since: datetime
    schedule_id: int | None = None
    schedule: str | None = None


HANDOFF = JobKind("oncall.handoff", Handoff)
PLAN = JobKind("oncall.handoff.plan", PlanHandoffs)


def handoff_key(schedule_id: int, layer: str, at: datetime) -> str:
    return f"{HANDOFF.name}:{schedule_id}:{at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}:{layer}"


def _enqueue_handoff(session: Session, handoff: Handoff, now: datetime) -> None:
    jobs.enqueue(
        session,
        HANDOFF,
        handoff,
        now=now,
        run_at=handoff.at,
        idempotency_key=handoff_key(handoff.schedule_id, handoff.layer, handoff.at),
    )


def request_plan(session: Session, schedule_id: int, since: datetime, cause: str) -> None:
    """Queue planning of the handoffs following a change made at ``since`` to a schedule.

    ``cause`` names the change (``override 12 created``): with the schedule
    and the instant it keys the job, so one change is planned once.
    """
    jobs.enqueue(
        session,
        PLAN,
        PlanHandoffs(since=since, schedule_id=schedule_id),
        now=since,
        idempotency_key=f"{PLAN.name}:{schedule_id}:{since.astimezone(UTC).isoformat()}:{cause}",
    )


def _find_schedule(
    session: Session, schedule_id: int | None, name: str | None = None
) -> Definition | None:
    """The schedule's definition, by id or else by name; None once it is deleted."""
    if schedule_id is not None:
        row = session.get(Definition, schedule_id)
        return row if row is not None and row.kind == SCHEDULE else None
    return _named(session, name) if name is not None else None


def _named(session: Session, name: str) -> Definition | None:
    try:
        return schedules.definition(session, name)
    except NotFound:
        return None


def _window(around: datetime) -> tuple[datetime, datetime]:
    """The overrides that can matter to a handoff at ``around`` and the search for the next."""
    return around - LOOKBACK - timedelta(days=1), around + SEARCH_LIMIT + timedelta(days=1)


def _plan(session: Session, row: Definition, since: datetime, now: datetime) -> None:
    """Enqueue each layer's first handoff from ``since`` on (at most :data:`CATCH_UP` ago)."""
    start = max(since, now - CATCH_UP)
    loaded = schedules.load(session, row.name, _window(start))
    for layer in loaded.layers:
        at = next_instant(loaded.schedule, layer, start, inclusive=True)
        if at is not None:
            _enqueue_handoff(session, Handoff(row.id, layer, at), now)


def plan(ctx: JobContext, payload: PlanHandoffs) -> None:
    """The ``oncall.handoff.plan`` job: enqueue each layer's first handoff from the change on."""
    with ctx.transaction() as session:
        row = _find_schedule(session, payload.schedule_id, payload.schedule)
        if row is not None:
            _plan(session, row, payload.since, ctx.clock.now())


def schedules_written(session: Session, names: Sequence[str], at: datetime, now: datetime) -> None:
    """Plan the handoffs of the schedules created or changed at ``at`` (those still there)."""
    for name in names:
        row = _named(session, name)
        if row is not None:
            _plan(session, row, at, now)


def run_handoff(ctx: JobContext, payload: Handoff) -> None:
    """The ``oncall.handoff`` job: store the report if this is still a handoff, then chain on."""
    at, layer = payload.at, payload.layer
    with ctx.transaction() as session:
        row = _find_schedule(session, payload.schedule_id)
        if row is None:
            return
        loaded = schedules.load(session, row.name, _window(at))
        if layer not in loaded.layers:
            return
        now = ctx.clock.now()
        point = handoff_point(loaded.schedule, layer, at)
        if point is not None:
            store_report(session, row.id, loaded.name, point, now)
        after = max(at, now - CATCH_UP)
        following = next_instant(loaded.schedule, layer, after, inclusive=after != at)
        if following is not None:
            _enqueue_handoff(session, Handoff(row.id, layer, following), now)


def register(registry: HandlerRegistry) -> None:
    """Register the handoff job handlers: planning, handoffs, and telling both people."""
    registry.register(PLAN, plan)
    registry.register(HANDOFF, run_handoff)
    registry.register(handoff_notices.NOTIFY, handoff_notices.send_report)
