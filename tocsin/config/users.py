"""Users as configuration writes them: configuration's own kind, stored in the users table.

Plan and apply treat users apart from definitions (a user no file defines any
more is released, not removed: users own tokens, sessions and history), so
the user kind belongs to this package rather than to a capability.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, ValidationInfo, field_validator
from pydantic import model_validator as model_check

from tocsin.config.fields import (
    EmailAddress,
    Spec,
    TimeZoneName,
    describe,
    email_address,
    web_url,
)

ContactType = Literal[
    "email", "sms", "voice", "push", "slack", "teams", "telegram", "ntfy", "webhook", "apprise"
]
#: Which of ``address`` / ``url`` each contact method type takes.
CONTACT_TARGET: dict[str, tuple[str, ...]] = {
    "email": ("address",),
    "sms": ("address",),
    "voice": ("address",),
    "push": ("address",),
    "telegram": ("address",),
    "slack": ("address", "url"),
    "ntfy": ("address", "url"),
    "teams": ("url",),
    "webhook": ("url",),
    "apprise": ("url",),
}
_PHONE_DIGITS = 7


class ContactMethodConfig(Spec):
    """How to reach a person: ``type`` and either an ``address`` or a ``url``."""

    type: ContactType
    address: str | None = None
    url: str | None = None

    @field_validator("address")
    @classmethod
    def _check_address(cls, address: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if address is None or kind is None:
            return address
        if "address" not in CONTACT_TARGET[kind]:
            raise ValueError(f"a {kind} contact method takes a url, not an address")
        if kind == "email":
            email_address(address)
        if kind in ("sms", "voice"):
            digits = address.removeprefix("+").replace(" ", "").replace("-", "")
            if not address.startswith("+") or not digits.isdigit() or len(digits) < _PHONE_DIGITS:
                raise ValueError(
                    f"must be a phone number in international form like +15551234567, "
                    f"got {describe(address)}"
                )
        return address

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if url is None or kind is None:
            return url
        if "url" not in CONTACT_TARGET[kind]:
            raise ValueError(f"a {kind} contact method takes an address, not a url")
        if kind == "apprise":
            if "://" not in url:
                raise ValueError(f"must be an Apprise URL like tgram://token/chat, got {url!r}")
        else:
            web_url(url)
        return url

    @model_check(mode="after")
    def _one_target(self) -> ContactMethodConfig:
        if (self.address is None) == (self.url is None):
            accepted = " or ".join(CONTACT_TARGET[self.type])
            raise ValueError(f"a {self.type} contact method needs exactly one {accepted}")
        return self


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip().lower()
        for day in WEEKDAYS:
            if text in (day, day[:3]):
                return day
    raise ValueError(f"must be a day of the week like Monday or mon, got {describe(value)}")


def _time_of_day(value: Any) -> str:
    if isinstance(value, str):
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match is not None:
            return f"{int(match[1]):02d}:{match[2]}"
    raise ValueError(f'must be a time of day like "09:00" or "17:30", got {describe(value)}')


Weekday = Annotated[str, PlainValidator(_weekday)]
TimeOfDay = Annotated[str, PlainValidator(_time_of_day)]


class WorkingHoursConfig(Spec):
    """When a person normally works, in their own time zone."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: TimeOfDay = "09:00"
    end: TimeOfDay = "17:00"

    @model_check(mode="after")
    def _start_before_end(self) -> WorkingHoursConfig:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        return self


UserRole = Literal["viewer", "responder", "admin"]


class UserConfig(Spec):
    """One person under ``users:`` (the mapping key, or ``name`` in the list form, names them)."""

    full_name: str = ""
    email: EmailAddress | None = None
    time_zone: TimeZoneName = "UTC"
    role: UserRole = "responder"
    contact_methods: list[ContactMethodConfig] = Field(default_factory=list)
    working_hours: WorkingHoursConfig | None = None
