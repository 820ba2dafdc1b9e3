"""The stacked bars' geometry: heights in proportion, stacked in series order, round ticks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.console.charts import BOTTOM, HEIGHT, MOST_LABELS, TOP, stacked_bars

SERIES = ["SEV-1", "SEV-2", "SEV-3"]


def test_bars_stack_in_series_order_and_ticks_are_round() -> None:
    chart = stacked_bars(
        ["2026-W23", "2026-W24"], ["01 Jun", "08 Jun"], SERIES, [{"SEV-1": 2, "SEV-3": 1}, {}]
    )
    assert [tick.value for tick in chart.ticks] == [0, 1, 2, 3]
    first, empty = chart.columns
    assert [(s.series, s.label) for s in first.segments] == [
        (1, "2026-W23, SEV-1: 2"),
        (3, "2026-W23, SEV-3: 1"),
    ]
    assert first.values == [2, 0, 1] and empty.values == [0, 0, 0] and empty.segments == []
    one = (HEIGHT - TOP - BOTTOM) / 3
    assert first.segments[0].height == pytest.approx(2 * one, abs=0.01)
    assert first.segments[1].y + first.segments[1].height == pytest.approx(first.segments[0].y)
    assert chart.total == 3


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [(0, [0, 1]), (4, [0, 1, 2, 3, 4]), (7, [0, 2, 4, 6, 8]), (23, [0, 5, 10, 15, 20, 25])],
)
def test_ticks(largest: int, ticks: list[int]) -> None:
    chart = stacked_bars(["w"], ["w"], ["x"], [{"x": largest}])
    assert [tick.value for tick in chart.ticks] == ticks


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=600))
def test_every_bar_fits_and_at_most_a_dozen_labels_show(counts: list[int]) -> None:
    names = [str(index) for index in range(len(counts))]
    chart = stacked_bars(names, names, ["x"], [{"x": count} for count in counts])
    top = chart.ticks[-1]
    assert top.value >= max(counts) and top.y >= 0
    for column in chart.columns:
        for segment in column.segments:
            # Rounded to hundredths: two roundings apart at most.
            assert segment.y >= top.y - 0.02 and segment.y + segment.height <= chart.baseline + 0.02
    labelled = [column for column in chart.columns if column.labelled]
    assert 1 <= len(labelled) <= MOST_LABELS and chart.columns[0].labelled
