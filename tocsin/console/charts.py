"""Stacked bar charts drawn on the server: the geometry an SVG template prints.

The console's charts are inline SVG written by the server (no chart script,
nothing inline for the CSP to refuse): :func:`stacked_bars` turns columns of
counts per series into rectangles, axis ticks and labels in a fixed viewBox
that CSS scales to the page; colours come from each series' class
(``s1``... in ``console.css``). The template (``metrics/_chart.html``) gives
the SVG a title and description and puts the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: The viewBox, and the room kept for the axes' labels.
WIDTH, HEIGHT = 720, 260
LEFT, BOTTOM, TOP, RIGHT = 48, 30, 20, 8
#: Colour classes in order; series beyond them reuse the last one.
SERIES_CLASSES = 8
#: Most x labels shown; the others are skipped evenly.
MOST_LABELS = 12


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    #: The colour class (1-based).
    series: int
    #: What a pointer over it says: "2026-W23, SEV-1: 3".
    label: str


@dataclass(frozen=True)
class Column:
    x: float
    width: float
    #: What the column is ("2026-W23"), and the shorter label under it ("01 Jun").
    name: str
    label: str
    #: Whether the x axis shows ``label`` under it, and whether on a phone too (every
    #: other label is left out there, the text being larger than the room).
    labelled: bool
    major: bool
    #: One count per series, in series order (what the table shows).
    values: list[int]
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class StackedBars:
    width: int
    height: int
    left: int
    baseline: float
    columns: list[Column]
    ticks: list[Tick]
    series: list[str]
    total: int


def _step(maximum: int) -> int:
    """A round step (1, 2, 5 times a power of ten) giving at most five ticks above zero."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if maximum <= 5 * step * factor:
                return step * factor
        step *= 10


def series_class(index: int) -> int:
    return min(index, SERIES_CLASSES - 1) + 1


def stacked_bars(
    names: Sequence[str],
    labels: Sequence[str],
    series: Sequence[str],
    values: Sequence[Mapping[str, int]],
) -> StackedBars:
    """Columns (named ``names``, labelled ``labels``) of ``values[i][series]``, stacked in
    ``series`` order."""
    totals = [sum(column.get(name, 0) for name in series) for column in values]
    step = _step(max(totals, default=0) or 1)
    top = step * max(1, -(-max(totals, default=0) // step))
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    every = -(-len(labels) // MOST_LABELS) or 1
    columns = []
    for index, (title, label, column) in enumerate(zip(names, labels, values, strict=True)):
        segments, base = [], baseline
        for number, name in enumerate(series):
            count = column.get(name, 0)
            if not count:
                continue
            height = plot_height * count / top
            base -= height
            segments.append(
                Segment(
                    round(base, 2),
                    round(height, 2),
                    series_class(number),
                    f"{title}, {name}: {count}",
                )
            )
        columns.append(
            Column(
                x=round(LEFT + index * slot + slot * 0.1, 2),
                width=round(slot * 0.8, 2),
                name=title,
                label=label,
                labelled=index % every == 0,
                major=index % (2 * every) == 0,
                values=[column.get(name, 0) for name in series],
                segments=segments,
            )
        )
    ticks = [
        Tick(round(baseline - plot_height * value / top, 2), value)
        for value in range(0, top + 1, step)
    ]
    return StackedBars(WIDTH, HEIGHT, LEFT, baseline, columns, ticks, list(series), sum(totals))
