"""Flapping: an alert that keeps opening and resolving is marked and stops paging again.

Each time a dedup key opens a new alert on a service counts as one cycle.
When the key has opened at least ``cycles`` times within ``window`` (this
opening included), the new alert is flapping: it is kept on record and marked,
but it does not open a paging group. Once it calms down (fewer openings in
the window) the next opening pages as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_CYCLES = 5
DEFAULT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class FlappingPolicy:
    cycles: int = DEFAULT_CYCLES
    window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.cycles < 2:
            raise ValueError("cycles must be at least 2")


def is_flapping(
    earlier_openings: Sequence[datetime], now: datetime, policy: FlappingPolicy
) -> bool:
    """Whether an opening at ``now`` is flapping, given when the same key opened before."""
    since = now - policy.window
    recent = sum(1 for opened in earlier_openings if since < opened <= now)
    return recent + 1 >= policy.cycles


def lookback(now: datetime, policy: FlappingPolicy) -> datetime:
    """How far back earlier openings matter (the query on the ingest path stays bounded)."""
    return now - policy.window
