"""Response and request bodies shared across routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tocsin.auth.roles import Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    full_name: str
    email: str | None
    time_zone: str
    role: str
    managed_by: str | None = Field(
        description="The configuration file that owns this user, or null when managed by API"
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
    time_zone: str = "UTC"
    role: Role = "responder"
    password: str | None = Field(default=None, min_length=8, max_length=1000)


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
