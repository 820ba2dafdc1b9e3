"""Field types shared by the configuration schemas, with messages written for people.

Each type validates with a plain function that raises ``ValueError`` carrying
the whole message (what was expected and what was found); the translation in
:mod:`tocsin.config.messages` prints it after ``FILE:LINE: field.path:``.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, PlainValidator

from tocsin.domain.roles import RoleError, parse_role


class Spec(BaseModel):
    """Base of every configuration model: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


def describe(value: Any) -> str:
    """A short rendering of a YAML value for "got ..." in messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def positive_integer(value: Any) -> int:
    number = _whole_number(value)
    if number is None or number < 1:
        raise ValueError(f"must be a positive integer, got {describe(value)}")
    return number


def non_negative_integer(value: Any) -> int:
    number = _whole_number(value)
    if number is None or number < 0:
        raise ValueError(f"must be zero or a positive integer, got {describe(value)}")
    return number


PositiveInteger = Annotated[int, PlainValidator(positive_integer)]
NonNegativeInteger = Annotated[int, PlainValidator(non_negative_integer)]

_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


def user_name(value: Any) -> str:
    if not isinstance(value, str) or not _USER_NAME.fullmatch(value):
        raise ValueError(
            "must be a user name: letters, digits and . _ - @ +, starting with a letter "
            f"or digit, at most 100 characters; got {describe(value)}"
        )
    return value


def object_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValueError(f"must be a name of 1 to 200 characters, got {describe(value)}")
    if value != value.strip():
        raise ValueError(f"must not start or end with spaces, got {describe(value)}")
    return value


def incident_role_name(value: Any) -> str:
    """The canonical name of an incident role ("Scribe", "technical-lead": an alias)."""
    try:
        return parse_role(str(value)).value
    except RoleError as error:
        raise ValueError(str(error)) from None


UserName = Annotated[str, PlainValidator(user_name)]
ObjectName = Annotated[str, PlainValidator(object_name)]


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone(value: Any) -> str:
    if isinstance(value, str) and value in _time_zones() | {"UTC"}:
        return value
    message = f"must be an IANA time zone such as 'Europe/Berlin' or 'UTC', got {describe(value)}"
    if isinstance(value, str):
        close = difflib.get_close_matches(value, sorted(_time_zones()), n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    raise ValueError(message)


TimeZoneName = Annotated[str, PlainValidator(time_zone)]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email_address(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.fullmatch(value):
        raise ValueError(f"must be an email address like alice@example.com, got {describe(value)}")
    return value


EmailAddress = Annotated[str, PlainValidator(email_address)]


def web_url(value: Any) -> str:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc:
            return value
    raise ValueError(f"must be an http:// or https:// URL, got {describe(value)}")


WebUrl = Annotated[str, PlainValidator(web_url)]
