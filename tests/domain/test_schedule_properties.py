"""Properties of schedule resolution, over random schedules in zones with DST (and without).

Instants are drawn uniformly over two years and, more often than chance would,
within a day and a half of a DST change, so handoffs and restriction windows
land in skipped and repeated hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.restriction import Restriction
from tocsin.domain.rotation import Rotation, ShiftLength, local_wall, wall_to_utc
from tocsin.domain.schedule import Layer, Override, Schedule, Shift, oncall_at, shifts

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
PEOPLE = ("ana", "ben", "cat", "dan")
BASE = datetime(2026, 1, 1, tzinfo=UTC)
#: DST changes in 2026: Berlin, New York and Lord Howe (a 30-minute shift).
TRANSITIONS = (
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
)

uniform = st.integers(0, 2 * 365 * 24 * 4).map(
    lambda quarter: BASE + quarter * timedelta(minutes=15)
)
near_dst = st.builds(
    lambda at, quarter: at + quarter * timedelta(minutes=15),
    st.sampled_from(TRANSITIONS),
    st.integers(-36 * 4, 36 * 4),
)
instants = st.one_of(uniform, near_dst)
lengths = st.one_of(
    st.integers(1, 48).map(lambda hours: ShiftLength(hours=hours)),
    st.integers(1, 14).map(lambda days: ShiftLength(days=days)),
)
clock_times = st.integers(0, 95).map(lambda quarter: time(quarter // 4, quarter % 4 * 15))
restriction_lists = st.lists(
    st.builds(
        Restriction,
        days=st.frozensets(st.integers(0, 6), min_size=1),
        start=clock_times,
        end=clock_times,
    ),
    max_size=3,
)
spans = st.integers(1, 30 * 24 * 4).map(lambda quarters: quarters * timedelta(minutes=15))


@st.composite
def schedules(draw: st.DrawFn, restricted: bool = True, gaps: bool = True) -> Schedule:
    """A schedule of one to three layers; ``restricted``/``gaps`` allow restrictions and
    empty turns (``gaps=False`` also leaves out restrictions)."""
    who = st.sampled_from((*PEOPLE, None) if gaps else PEOPLE)
    layers = []
    for index in range(draw(st.integers(1, 3))):
        rotation = Rotation(
            tuple(draw(st.lists(who, min_size=1, max_size=4))), draw(instants), draw(lengths)
        )
        windows = tuple(draw(restriction_lists)) if restricted and gaps else ()
        layers.append(Layer(f"layer-{index}", rotation, windows))
    overrides = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(instants)
        overrides.append(
            Override(
                draw(st.sampled_from(layers)).name,
                draw(st.sampled_from(PEOPLE)),
                start,
                start + draw(spans),
            )
        )
    return Schedule("random", draw(st.sampled_from(ZONES)), tuple(layers), tuple(overrides))


def by_layer(schedule: Schedule, found: list[Shift], layer: str) -> list[Shift]:
    return [shift for shift in found if shift.layer == layer]


def merged(schedule: Schedule, found: list[Shift]) -> list[Shift]:
    """Shifts grouped by layer and joined where one ends as the next (same person and
    origin) begins: the comparison form for shifts split at a query boundary."""
    order = {layer.name: index for index, layer in enumerate(schedule.layers)}
    result: list[Shift] = []
    for shift in sorted(found, key=lambda each: (order[each.layer], each.start)):
        last = result[-1] if result else None
        if last is not None and (last.layer, last.person, last.override, last.end) == (
            shift.layer,
            shift.person,
            shift.override,
            shift.start,
        ):
            result[-1] = Shift(last.layer, last.person, last.start, shift.end, last.override)
        else:
            result.append(shift)
    return result


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, spans)
def test_shifts_within_a_layer_never_overlap(
    schedule: Schedule, start: datetime, span: timedelta
) -> None:
    end = start + span
    found = shifts(schedule, start, end)
    for layer in schedule.layers:
        own = by_layer(schedule, found, layer.name)
        assert all(start <= shift.start < shift.end <= end for shift in own)
        assert all(first.end <= second.start for first, second in pairwise(own))


@settings(max_examples=150, deadline=None)
@given(schedules(restricted=False, gaps=False), instants, spans)
def test_without_restrictions_there_are_no_gaps(
    schedule: Schedule, start: datetime, span: timedelta
) -> None:
    end = start + span
    found = shifts(schedule, start, end)
    for layer in schedule.layers:
        own = by_layer(schedule, found, layer.name)
        assert own[0].start == start
        assert own[-1].end == end
        assert all(first.end == second.start for first, second in pairwise(own))


@settings(max_examples=150, deadline=None)
@given(schedules(), st.data())
def test_an_override_wins_exactly_over_its_range(schedule: Schedule, data: st.DataObject) -> None:
    layer = data.draw(st.sampled_from(schedule.layers)).name
    start = data.draw(instants)
    cover = Override(layer, "zed", start, start + data.draw(spans))
    changed = schedule.with_overrides(cover)
    inside = shifts(changed, cover.start, cover.end)
    assert by_layer(changed, inside, layer) == [
        Shift(layer, "zed", cover.start, cover.end, override=True)
    ]
    others = [shift for shift in inside if shift.layer != layer]
    assert others == [
        shift for shift in shifts(schedule, cover.start, cover.end) if shift.layer != layer
    ]
    margin = timedelta(days=3)
    assert shifts(changed, cover.start - margin, cover.start) == shifts(
        schedule, cover.start - margin, cover.start
    )
    assert shifts(changed, cover.end, cover.end + margin) == shifts(
        schedule, cover.end, cover.end + margin
    )
    probe = cover.start + (cover.end - cover.start) * data.draw(st.floats(0, 0.999))
    layer_index = [each.name for each in schedule.layers].index(layer)
    assert oncall_at(changed, probe)[layer_index].person == "zed"


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, spans, spans)
def test_shifts_split_at_any_point_join_back(
    schedule: Schedule, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = shifts(schedule, start, end)
    halves = shifts(schedule, start, middle) + shifts(schedule, middle, end)
    assert merged(schedule, whole) == merged(schedule, halves)


@settings(max_examples=200, deadline=None)
@given(schedules(), instants, spans, st.floats(0, 0.999))
def test_oncall_at_agrees_with_the_covering_shift(
    schedule: Schedule, start: datetime, span: timedelta, where: float
) -> None:
    end = start + span
    instant = start + span * where
    found = shifts(schedule, start, end)
    for entry in oncall_at(schedule, instant):
        assert entry.start <= instant < entry.end
        own = by_layer(schedule, found, entry.layer)
        covering = [shift for shift in own if shift.start <= instant < shift.end]
        if entry.person is None:
            assert covering == []
            low, high = max(entry.start, start), min(entry.end, end)
            assert not [shift for shift in own if shift.start < high and low < shift.end]
        else:
            assert len(covering) == 1
            shift = covering[0]
            assert shift.person == entry.person
            assert (shift.start, shift.end) == (max(entry.start, start), min(entry.end, end))


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(ZONES),
    instants,
    st.integers(1, 14),
    instants,
    st.integers(1, 60),
)
def test_day_based_handoffs_happen_at_the_local_handoff_time(
    zone_name: str, anchor: datetime, days: int, start: datetime, count: int
) -> None:
    rotation = Rotation(("ana", "ben", "cat"), anchor, ShiftLength(days=days))
    schedule = Schedule("s", zone_name, (Layer("p", rotation),))
    zone = schedule.zone
    handoff_wall = local_wall(anchor, zone)
    found = shifts(schedule, start, start + count * timedelta(days=days))
    for shift in found[1:]:
        local = local_wall(shift.start, zone)
        expected = datetime.combine(local.date(), handoff_wall.time())
        assert shift.start == wall_to_utc(expected, zone)
        assert (local.date() - handoff_wall.date()).days % days == 0
