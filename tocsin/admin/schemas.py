"""Response and request bodies shared across routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tocsin.auth.redaction import redact_contact, shorten_email
from tocsin.auth.roles import Role
from tocsin.auth.tables import User
from tocsin.config.fields import TimeZoneName
from tocsin.config.users import ContactMethodConfig, WorkingHoursConfig


class UserOut(BaseModel):
    name: str
    full_name: str
    email: str | None
    time_zone: str
    role: str
    contact_methods: list[dict[str, Any]]
    working_hours: dict[str, Any] | None = None
    managed_by: str | None = Field(
        description="The configuration file that owns this user, or null when managed by API"
    )

    @classmethod
    def of(cls, user: User, *, full_addresses: bool) -> UserOut:
        """``user`` as shown; addresses in full only when ``full_addresses`` (the caller
        is the user or an admin), URLs never."""
        email = user.email
        return cls(
            name=user.name,
            full_name=user.full_name,
            email=email if full_addresses or email is None else shorten_email(email),
            time_zone=user.time_zone,
            role=user.role,
            contact_methods=[
                redact_contact(method, full_address=full_addresses)
                for method in user.contact_methods
            ],
            working_hours=user.spec.get("working_hours"),
            managed_by=user.managed_by,
        )


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "alice", "email": "alice@example.com", "role": "responder"}]
        },
    )

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
    email: EmailStr | None = None
    full_name: str = Field(default="", max_length=200)
    time_zone: TimeZoneName = "UTC"
    role: Role = "responder"
    password: str | None = Field(default=None, min_length=8, max_length=1000)


class UserUpdate(BaseModel):
    """Fields to change; those left out keep their value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "time_zone": "Europe/Berlin",
                    "contact_methods": [{"type": "email", "address": "alice@example.com"}],
                    "working_hours": {
                        "days": ["mon", "tue", "wed", "thu", "fri"],
                        "start": "09:00",
                        "end": "17:00",
                    },
                }
            ]
        },
    )

    full_name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    time_zone: TimeZoneName | None = None
    role: Role | None = Field(default=None, description="Only admins may change roles")
    contact_methods: list[ContactMethodConfig] | None = None
    working_hours: WorkingHoursConfig | None = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "grafana-automation"}]}
    )

    name: str = Field(default="", max_length=100)
    user: str | None = Field(default=None, description="Admins may create tokens for others")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    user: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. It is shown only once.")


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    state: str
    payload: dict[str, Any]
    run_at: datetime
    attempts: int
    max_attempts: int
    last_error: str | None
    idempotency_key: str | None
    created_at: datetime
    finished_at: datetime | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_key: str
    detail: dict[str, Any]
    remote_addr: str | None
