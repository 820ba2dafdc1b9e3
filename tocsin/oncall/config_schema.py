"""The schedule kind of configuration: one on-call schedule as written in YAML.

Two forms are accepted. The seed form (``examples/config/on-call-schedule.yaml``)
lists repeating periods, each naming every layer's person::

    rotation: weekly
    handoff_day: Monday
    handoff_time: "10:00 AM UTC"
    week_1: {primary: engineer-a, secondary: engineer-b}
    week_2: {primary: engineer-b, secondary: engineer-c}

Each key inside the weeks becomes a layer, in order of first appearance, and
its people rotate in week order: here primary is engineer-a, engineer-b, ...
and the cycle starts again after the last week. A week may leave a layer out:
nobody holds it that week. ``weeks:`` (a list of the same mappings) is
accepted too; that is how the form is stored.

The native form lists layers, each with its own rotation::

    time_zone: Europe/Berlin
    layers:
      - name: primary
        rotation: weekly          # hourly | daily | weekly | custom
        shift_length: 12h         # custom only: N h, N d or N w
        start: 2026-01-05T10:00:00
        handoff_day: monday
        handoff_time: "10:00"
        participants: [alice, bob, carol]
        restrictions: [{days: [mon, tue, wed, thu, fri], start: "08:00", end: "20:00"}]
    overrides: [{layer: primary, user: dave, start: ..., end: ...}]

Both forms take ``overrides``, ``escalation`` and ``policies``.

Where the rotation starts (its anchor, the handoff at which the first person
takes over): the first handoff (``handoff_day`` at ``handoff_time``) at or
after ``start``. ``start`` may be a date or a date and time; naive times are
local to the schedule's zone. Without ``start``, the anchor is the last
handoff on or before 2026-01-05 (a Monday): the seed's week_1 begins
2026-01-05 10:00 UTC. ``handoff_time`` defaults to ``start``'s time of day (or
00:00), ``handoff_day`` to ``start``'s weekday. Day-based rotations hand off
at the same local time every day, across DST changes; see
:mod:`tocsin.domain.rotation`.

``time_zone`` defaults to UTC, or to the zone written after the seed form's
``handoff_time`` ("10:00 AM UTC"); a zone written there must otherwise match
``time_zone``.

Errors are raised as Pydantic ``ValidationError``s whose ``loc`` is the path
of the offending field in the YAML (``week_2.primary``, not the stored
``weeks``), with ``ValueError`` messages written for people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, model_validator

from tocsin.config.catalog import Kind
from tocsin.config.fields import (
    NonNegativeInteger,
    ObjectName,
    PositiveInteger,
    Spec,
    TimeZoneName,
    UserName,
)
from tocsin.domain.fairness import FairnessPolicies
from tocsin.domain.restriction import Restriction
from tocsin.domain.rotation import (
    DAILY,
    HOURLY,
    WEEKLY,
    Rotation,
    ShiftLength,
    handoff_anchor,
    local_wall,
    wall_to_utc,
)
from tocsin.domain.schedule import Layer, Override, Schedule
from tocsin.oncall.schedule_fields import (
    DEFAULT_ANCHOR_DATE,
    WEEK_KEY,
    WEEKDAYS,
    DateOrDateTime,
    DateTime,
    HandoffTime,
    Problem,
    RotationName,
    Share,
    ShiftLengthText,
    TimeOfDay,
    Weekday,
    moved_error,
    parse_clock,
    raise_problems,
    week_key_problems,
)

SCHEDULE = "schedule"

# --- models -------------------------------------------------------------------


class RotationFields(Spec):
    """The fields that say how a rotation turns: shared by layers and the seed form."""

    rotation: RotationName | None = None
    shift_length: ShiftLengthText | None = None
    start: DateOrDateTime | None = None
    handoff_day: Weekday | None = None
    handoff_time: HandoffTime | None = None

    def shift_length_value(self) -> ShiftLength:
        kind = self.rotation or "weekly"
        if kind == "custom" and self.shift_length is not None:
            count, unit = int(self.shift_length[:-1]), self.shift_length[-1]
            if unit == "h":
                return ShiftLength(hours=count)
            return ShiftLength(days=count * (7 if unit == "w" else 1))
        return {"hourly": HOURLY, "daily": DAILY}.get(kind, WEEKLY)

    def handoff_zone(self) -> str | None:
        """The zone written after ``handoff_time``, if any."""
        if self.handoff_time is None or " " not in self.handoff_time:
            return None
        return self.handoff_time.split(" ", 1)[1]

    def rotation_problems(self, zone: str) -> list[Problem]:
        """Fields that contradict each other, given the schedule's effective zone."""
        problems: list[Problem] = []
        kind = self.rotation or "weekly"
        if kind == "custom" and self.shift_length is None:
            problems.append(
                (("rotation",), "custom rotations need shift_length like 12h, 3d or 2w", kind)
            )
        if kind != "custom" and self.shift_length is not None:
            problems.append(
                (
                    ("shift_length",),
                    f"only custom rotations take shift_length; this one is {kind}",
                    self.shift_length,
                )
            )
        length = self.shift_length_value()
        if self.handoff_day is not None and (not length.calendar or length.days % 7):
            problems.append(
                (
                    ("handoff_day",),
                    "only rotations of whole weeks have a handoff day; "
                    f"this one turns every {length}",
                    self.handoff_day,
                )
            )
        written = self.handoff_zone()
        if written is not None and written != zone:
            problems.append(
                (
                    ("handoff_time",),
                    f"names time zone {written} but the schedule's time_zone is {zone}",
                    self.handoff_time,
                )
            )
        return problems

    def rotation_anchor(self, zone: ZoneInfo) -> datetime:
        """The handoff (UTC) at which the first participant takes over; see the module docstring."""
        at = None if self.handoff_time is None else parse_clock(self.handoff_time)
        handoff_at = None if at is None else at[0]
        weekday = None if self.handoff_day is None else WEEKDAYS.index(self.handoff_day)
        if self.start is None:
            day = DEFAULT_ANCHOR_DATE
            if weekday is not None:
                day -= timedelta(days=(day.weekday() - weekday) % 7)
            earliest = datetime.combine(day, handoff_at or time(0))
        elif isinstance(self.start, datetime):
            earliest = self.start
            if earliest.tzinfo is not None:
                earliest = local_wall(earliest, zone).replace(tzinfo=None)
        else:
            earliest = datetime.combine(self.start, handoff_at or time(0))
        if not self.shift_length_value().calendar:
            weekday = None
        return wall_to_utc(handoff_anchor(earliest, handoff_at, weekday), zone)


class RestrictionConfig(Spec):
    """A window from ``start`` to ``end`` local time on each of ``days`` (all days if omitted).

    An ``end`` at or before ``start`` runs past midnight; the default 00:00-24:00 is the whole day.
    """

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    start: TimeOfDay = "00:00"
    end: TimeOfDay = "24:00"

    def to_restriction(self) -> Restriction:
        def clock(text: str) -> time:
            parsed = parse_clock(text)
            assert parsed is not None  # validated
            return parsed[0]

        return Restriction(
            frozenset(WEEKDAYS.index(day) for day in self.days), clock(self.start), clock(self.end)
        )


class LayerConfig(RotationFields):
    name: ObjectName
    rotation: RotationName
    participants: list[UserName] = Field(min_length=1)
    restrictions: list[RestrictionConfig] = Field(default_factory=list)


class OverrideConfig(Spec):
    """``user`` holds ``layer`` from ``start`` to ``end`` (naive times are the schedule's local)."""

    layer: ObjectName
    user: UserName
    start: DateTime
    end: DateTime


class ChainStepConfig(Spec):
    """One step of the escalation chain: a ``role``, a ``user``, or a ``schedule`` and ``layer``."""

    role: ObjectName | None = None
    user: UserName | None = None
    schedule: ObjectName | None = None
    layer: ObjectName | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ChainStepConfig:
        chosen = [key for key in ("role", "user", "schedule") if getattr(self, key) is not None]
        if len(chosen) != 1:
            raise ValueError("needs exactly one of role, user, or schedule (with layer)")
        if self.layer is not None and self.schedule is None:
            raise ValueError("layer is only allowed with schedule")
        return self


class EscalationConfig(Spec):
    """Who is paged, in order, when the on-call person does not acknowledge in time."""

    timeout_minutes: PositiveInteger
    chain: list[ChainStepConfig] = Field(min_length=1)


class PoliciesConfig(Spec):
    """Fairness limits (see :mod:`tocsin.domain.fairness`) and compensation."""

    max_consecutive_days: PositiveInteger | None = None
    min_gap_days: NonNegativeInteger | None = None
    max_weekend_share: Share | None = None
    max_shifts_per_week: PositiveInteger | None = None
    after_hours_comp: bool = False

    def to_policies(self) -> FairnessPolicies:
        return FairnessPolicies(
            max_consecutive_days=self.max_consecutive_days,
            min_gap_days=self.min_gap_days,
            max_weekend_share=self.max_weekend_share,
            max_shifts_per_week=self.max_shifts_per_week,
        )


class ScheduleConfig(RotationFields):
    """One schedule, in the seed form (``week_N`` keys) or the native form (``layers``).

    The schedule's name comes from where it is written (the mapping key or the
    file name), so it is passed to :meth:`to_schedule`.
    """

    time_zone: TimeZoneName | None = None
    weeks: list[dict[ObjectName, UserName]] | None = None
    layers: list[LayerConfig] | None = None
    overrides: list[OverrideConfig] = Field(default_factory=list)
    escalation: EscalationConfig | None = None
    policies: PoliciesConfig | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _validate(cls, data: Any, handler: Callable[[Any], ScheduleConfig]) -> ScheduleConfig:
        """Collect ``week_1``, ``week_2``, ... into ``weeks``, validate, then check fields
        against each other; every error keeps the path written in the file (``week_2``)."""
        numbers: dict[str, int] = {}
        if isinstance(data, Mapping):
            numbers = {
                key: int(match["number"])
                for key in data
                if isinstance(key, str) and (match := WEEK_KEY.fullmatch(key)) is not None
            }
        if numbers:
            raise_problems(cls.__name__, week_key_problems(data, numbers))
            weeks = [data[f"week_{number}"] for number in range(1, len(numbers) + 1)]
            data = {key: value for key, value in data.items() if key not in numbers}
            data["weeks"] = weeks

        def where(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
            if not numbers or loc[:1] != ("weeks",):
                return loc
            if len(loc) > 1 and isinstance(loc[1], int):
                return (f"week_{loc[1] + 1}", *loc[2:])
            return ("week_1", *loc[1:])

        try:
            model = handler(data)
        except ValidationError as error:
            if not numbers:
                raise
            raise ValidationError.from_exception_data(
                cls.__name__, [moved_error(each, where) for each in error.errors(include_url=False)]
            ) from None
        raise_problems(
            cls.__name__, [(where(loc), text, given) for loc, text, given in model.problems()]
        )
        return model

    def problems(self) -> list[Problem]:
        """Fields that contradict each other, with their paths (weeks as ``weeks``)."""
        zone = self.zone_name
        problems: list[Problem] = []
        if self.weeks is None and self.layers is None:
            problems.append(
                ((), "needs layers, or week_1, week_2, ... naming each layer's person", None)
            )
        if self.layers is not None:
            if self.weeks is not None:
                problems.append(
                    (("layers",), "write either layers or week_1, week_2, ..., not both", None)
                )
            for key in RotationFields.model_fields:
                if getattr(self, key) is not None:
                    problems.append(
                        (
                            (key,),
                            f"{key} belongs on each layer when layers are given",
                            getattr(self, key),
                        )
                    )
            seen: set[str] = set()
            for index, layer in enumerate(self.layers):
                if layer.name in seen:
                    problems.append(
                        (
                            ("layers", index, "name"),
                            f"layer {layer.name!r} is defined twice",
                            layer.name,
                        )
                    )
                seen.add(layer.name)
                problems.extend(
                    (("layers", index, *loc), message, given)
                    for loc, message, given in layer.rotation_problems(zone)
                )
        else:
            problems.extend(self.rotation_problems(zone))
            for index, week in enumerate(self.weeks or []):
                if not week:
                    problems.append(
                        (
                            ("weeks", index),
                            "names nobody; give each layer's person, like primary: alice",
                            week,
                        )
                    )
        names = list(dict.fromkeys(self.layer_names()))
        for index, override in enumerate(self.overrides):
            if override.layer not in names:
                problems.append(
                    (
                        ("overrides", index, "layer"),
                        f"no layer named {override.layer!r}; layers are {', '.join(names)}",
                        override.layer,
                    )
                )
            if self._instant(override.end) <= self._instant(override.start):
                problems.append((("overrides", index, "end"), "must be after start", override.end))
        return problems

    @property
    def zone_name(self) -> str:
        """The schedule's zone: ``time_zone``, else the one after ``handoff_time``, else UTC."""
        if self.time_zone is not None:
            return self.time_zone
        if self.layers is None:
            return self.handoff_zone() or "UTC"
        return "UTC"

    def layer_names(self) -> list[str]:
        """Layer names in order: from ``layers``, or from the weeks' keys in order of appearance."""
        if self.layers is not None:
            return [layer.name for layer in self.layers]
        return list(dict.fromkeys(name for week in self.weeks or [] for name in week))

    def _instant(self, written: datetime) -> datetime:
        if written.tzinfo is not None:
            return written.astimezone(UTC)
        return wall_to_utc(written, ZoneInfo(self.zone_name))

    def to_schedule(self, name: str) -> Schedule:
        """The domain schedule this configuration describes, named ``name``."""
        zone = ZoneInfo(self.zone_name)
        if self.layers is not None:
            layers = tuple(
                Layer(
                    layer.name,
                    Rotation(
                        tuple(layer.participants),
                        layer.rotation_anchor(zone),
                        layer.shift_length_value(),
                    ),
                    tuple(each.to_restriction() for each in layer.restrictions),
                )
                for layer in self.layers
            )
        else:
            weeks = self.weeks or []
            start, length = self.rotation_anchor(zone), self.shift_length_value()
            layers = tuple(
                Layer(layer, Rotation(tuple(week.get(layer) for week in weeks), start, length))
                for layer in self.layer_names()
            )
        overrides = tuple(
            Override(each.layer, each.user, self._instant(each.start), self._instant(each.end))
            for each in self.overrides
        )
        return Schedule(name, self.zone_name, layers, overrides)

    def people(self) -> set[str]:
        """Everyone this schedule names: participants, override users and escalation users."""
        named = {person for week in self.weeks or [] for person in week.values()}
        named.update(person for layer in self.layers or [] for person in layer.participants)
        named.update(override.user for override in self.overrides)
        if self.escalation is not None:
            named.update(step.user for step in self.escalation.chain if step.user is not None)
        return named


SCHEDULE_KIND: Kind[ScheduleConfig] = Kind(SCHEDULE, "schedule", "schedules")
