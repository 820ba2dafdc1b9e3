"""Field types of the schedule schema (:mod:`tocsin.oncall.config_schema`), and its errors.

Each type validates with a plain function that raises ``ValueError`` with a
message written for people; :func:`raise_problems` raises the problems found
across fields as one Pydantic ``ValidationError`` so they are placed on the
fields they name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails

from tocsin.config.fields import describe, time_zone

#: Anchor date of rotations written without ``start``: week_1 of the seed begins here.
DEFAULT_ANCHOR_DATE = date(2026, 1, 5)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ROTATIONS = ("hourly", "daily", "weekly", "custom")

_CLOCK = re.compile(
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[ap]\.?m\.?)?\s*(?P<zone>[A-Za-z][\w/+-]*)?",
    re.IGNORECASE,
)
_LENGTH = re.compile(r"(?P<count>\d+)\s*(?P<unit>h|hours?|d|days?|w|weeks?)", re.IGNORECASE)
WEEK_KEY = re.compile(r"week_(?P<number>[1-9]\d*)")

# --- field types --------------------------------------------------------------


def _weekday(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip().lower()
        for day in WEEKDAYS:
            if text in (day, day[:3]):
                return day
    raise ValueError(f"must be a day of the week like Monday or mon, got {describe(value)}")


def _rotation(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in ROTATIONS:
        return value.strip().lower()
    raise ValueError(f"must be one of {', '.join(ROTATIONS)}, got {describe(value)}")


def _shift_length(value: Any) -> str:
    match = _LENGTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match["count"]) == 0:
        raise ValueError(
            f"must be a positive number of hours, days or weeks like 12h, 3d or 2w, "
            f"got {describe(value)}"
        )
    return f"{int(match['count'])}{match['unit'][0].lower()}"


def parse_clock(text: str) -> tuple[time, str | None] | None:
    """``"10:00 PM UTC"`` -> (22:00, "UTC"); None if ``text`` is not a time of day.

    "24:00" (midnight at the end of the day) reads as 00:00.
    """
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"])
    if minute > 59:
        return None
    if match["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"][0].lower() == "p" else 0)
    elif (hour, minute) == (24, 0):
        hour = 0
    elif hour > 23:
        return None
    return time(hour, minute), match["zone"]


def _handoff_time(value: Any) -> str:
    parsed = parse_clock(value) if isinstance(value, str) else None
    if parsed is None or (parsed[1] is None and value.strip() == "24:00"):
        raise ValueError(
            'must be a time of day like "10:00", "22:30", "10:00 PM" or "10:00 AM UTC", '
            f"got {describe(value)}"
        )
    at, zone = parsed
    if zone is not None:
        time_zone(zone)
        return f"{at:%H:%M} {zone}"
    return f"{at:%H:%M}"


def _time_of_day(value: Any) -> str:
    parsed = parse_clock(value) if isinstance(value, str) else None
    if parsed is None or parsed[1] is not None:
        raise ValueError(
            f'must be a local time of day like "08:00", "20:00" or "24:00", got {describe(value)}'
        )
    return "24:00" if value.strip() == "24:00" else f"{parsed[0]:%H:%M}"


def _date_or_datetime(value: Any) -> date | datetime:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    raise ValueError(
        "must be a date like 2026-01-05 or a date and time like 2026-01-05T10:00:00, "
        f"got {describe(value)}"
    )


def _datetime(value: Any) -> datetime:
    parsed = _date_or_datetime(value)
    if not isinstance(parsed, datetime):
        return datetime.combine(parsed, time(0))
    return parsed


Weekday = Annotated[str, PlainValidator(_weekday)]
RotationName = Annotated[str, PlainValidator(_rotation)]
ShiftLengthText = Annotated[str, PlainValidator(_shift_length)]
HandoffTime = Annotated[str, PlainValidator(_handoff_time)]
TimeOfDay = Annotated[str, PlainValidator(_time_of_day)]


def _iso(value: date) -> str:
    return value.isoformat()


# Stored specs keep dates and times as ISO text, which validates back to the same value.
DateOrDateTime = Annotated[
    date | datetime, PlainValidator(_date_or_datetime), PlainSerializer(_iso, return_type=str)
]
DateTime = Annotated[datetime, PlainValidator(_datetime), PlainSerializer(_iso, return_type=str)]


def _share(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1:
        return float(value)
    raise ValueError(f"must be a fraction above 0 and at most 1 like 0.5, got {describe(value)}")


Share = Annotated[float, PlainValidator(_share)]

# --- errors placed on fields ------------------------------------------------------

Problem = tuple[tuple[str | int, ...], str, Any]


def raise_problems(model: str, problems: list[Problem]) -> None:
    if problems:
        raise ValidationError.from_exception_data(
            model,
            [
                InitErrorDetails(
                    type="value_error", loc=loc, input=given, ctx={"error": ValueError(message)}
                )
                for loc, message, given in problems
            ],
        )


def moved_error(
    error: ErrorDetails, move: Callable[[tuple[str | int, ...]], tuple[str | int, ...]]
) -> InitErrorDetails:
    detail = InitErrorDetails(type=error["type"], loc=move(error["loc"]), input=error["input"])
    if "ctx" in error:
        detail["ctx"] = error["ctx"]
    return detail


def week_key_problems(data: Mapping[str, Any], numbers: Mapping[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    if "weeks" in data:
        problems.append(
            (
                ("weeks",),
                "write the weeks either as weeks: or as week_1, week_2, ..., not both",
                data["weeks"],
            )
        )
    missing = sorted(set(range(1, len(numbers) + 1)) - set(numbers.values()))
    if missing:
        key = max(numbers, key=lambda each: numbers[each])
        problems.append(
            (
                (key,),
                f"weeks must be numbered from week_1 without gaps; week_{missing[0]} is missing",
                data[key],
            )
        )
    return problems
