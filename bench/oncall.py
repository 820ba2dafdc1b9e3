"""Benchmark: who-is-on-call lookups per second, and whether they slow down with distance.

Run with ``.venv/bin/python bench/oncall.py``. Builds a follow-the-sun schedule
(3 layers, 12 participants, restrictions, 500 overrides) in Europe/Berlin and
times :func:`tocsin.domain.schedule.oncall_at` at instants spread over ten
years, then at instants in the first month after the rotation start and in a
month ten years later. A loop calling a Python function that does nothing,
timed in the same run, is the ceiling the figures are compared with. Each
figure is the best of several interleaved rounds; the run takes about 10 s.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from tocsin.domain.restriction import Restriction
from tocsin.domain.rotation import DAILY, WEEKLY, Rotation, ShiftLength
from tocsin.domain.schedule import Layer, Override, Schedule, oncall_at

ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 5, 10, tzinfo=ZONE)
TEN_YEARS = timedelta(days=3652)
QUERIES = 20_000
ROUNDS = 5
WORKDAYS = frozenset(range(5))


def build_schedule(seed: int = 7) -> Schedule:
    people = [f"engineer-{index:02d}" for index in range(12)]
    layers = (
        Layer(
            "emea",
            Rotation(tuple(people[0:4]), START, WEEKLY),
            (Restriction(WORKDAYS, clock(8), clock(16)),),
        ),
        Layer(
            "americas",
            Rotation(tuple(people[4:8]), START, DAILY),
            (
                Restriction(WORKDAYS, clock(16), clock(0)),
                Restriction(frozenset({5, 6}), clock(10), clock(18)),
            ),
        ),
        Layer(
            "backstop",
            Rotation(tuple(people[8:12]), START, ShiftLength(hours=12)),
        ),
    )
    rng = random.Random(seed)
    overrides = []
    for _ in range(500):
        begin = START + timedelta(hours=rng.randrange(0, 10 * 365 * 24))
        overrides.append(
            Override(
                rng.choice([layer.name for layer in layers]),
                rng.choice(people),
                begin,
                begin + timedelta(hours=rng.randrange(1, 72)),
            )
        )
    return Schedule("follow-the-sun", "Europe/Berlin", layers, tuple(overrides))


def instants(begin: datetime, span: timedelta, count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    width = int(span.total_seconds())
    utc_begin = begin.astimezone(UTC)
    return [utc_begin + timedelta(seconds=rng.randrange(width)) for _ in range(count)]


def seconds(call: Callable[[datetime], object], points: list[datetime]) -> float:
    began = time.perf_counter()
    for point in points:
        call(point)
    return time.perf_counter() - began


def noop(_: datetime) -> None:
    """The ceiling: one Python function call per query, doing nothing."""


def main() -> None:
    schedule = build_schedule()
    workloads = {
        "spread over ten years": instants(START, TEN_YEARS, QUERIES, seed=1),
        "first month after start": instants(START, timedelta(days=30), QUERIES, seed=2),
        "a month ten years out": instants(START + TEN_YEARS, timedelta(days=30), QUERIES, seed=3),
    }

    def lookup(point: datetime) -> object:
        return oncall_at(schedule, point)

    # Rounds interleave the workloads so that load from other processes hits
    # them alike; each figure is the best round.
    best = dict.fromkeys(["ceiling", *workloads], float("inf"))
    for _ in range(ROUNDS):
        best["ceiling"] = min(best["ceiling"], seconds(noop, workloads["spread over ten years"]))
        for label, points in workloads.items():
            best[label] = min(best[label], seconds(lookup, points))
    ceiling = QUERIES / best["ceiling"]
    print(f"schedule: 3 layers, 12 participants, restrictions, {len(schedule.overrides)} overrides")
    print(f"{QUERIES:,} queries per workload, best of {ROUNDS} interleaved rounds")
    print(f"ceiling, no-op Python call:      {ceiling:>12,.0f} calls/s")
    for label in workloads:
        value = QUERIES / best[label]
        print(
            f"oncall_at, {label:<24} {value:>10,.0f} queries/s ({value / ceiling:.2%} of ceiling)"
        )
    near = best["first month after start"]
    far = best["a month ten years out"]
    print(f"time per query ten years out / near start: {far / near:.2f}")


if __name__ == "__main__":
    main()
