"""Durations in messages read like people write them, not like ``0:00:20``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.durations import spoken


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=20), "20 s"),
        (timedelta(seconds=90), "1 min 30 s"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(days=1, hours=2), "1 d 2 h"),
        (timedelta(days=3, seconds=7), "3 d 7 s"),
        (timedelta(seconds=-20), "-20 s"),
    ],
)
def test_spoken_durations(span: timedelta, text: str) -> None:
    assert spoken(span) == text


_SIZES = {"d": 86400, "h": 3600, "min": 60, "s": 1}


@given(st.integers(min_value=1, max_value=10**8))
def test_spoken_durations_add_up(seconds: int) -> None:
    words = spoken(timedelta(seconds=seconds)).split()
    pairs = list(zip(words[::2], words[1::2], strict=True))
    assert sum(int(count) * _SIZES[unit] for count, unit in pairs) == seconds
    units = [unit for _, unit in pairs]
    assert units == sorted(units, key=lambda unit: -_SIZES[unit]), "largest units first"
    limits = {"d": None, "h": 24, "min": 60, "s": 60}
    for count, unit in pairs:
        limit = limits[unit]
        assert int(count) > 0 and (limit is None or int(count) < limit)
