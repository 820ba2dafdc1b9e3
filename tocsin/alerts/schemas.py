"""Request and response bodies of the alert, group, integration and silence APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.alerts.config_schema import (
    DEFAULT_RATE_LIMIT,
    EmailConfig,
    HeartbeatConfig,
    IntegrationType,
    WebhookMapping,
)
from tocsin.config.fields import ObjectName
from tocsin.http.params import Instant

AlertStatusName = Literal["triggered", "acknowledged", "resolved"]
SeverityName = Literal["critical", "error", "warning", "info"]


class AlertOut(BaseModel):
    id: int
    service: str
    dedup_key: str
    status: AlertStatusName
    severity: SeverityName
    summary: str
    integration: str
    source_type: str
    source: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    details: dict[str, Any]
    links: list[Any]
    runbook_url: str | None
    occurrences: int
    flapping: bool
    suppressed_by: str | None
    urgency: str
    group_id: int | None
    incident_id: int | None
    incident_reference: str | None
    started_at: datetime | None
    triggered_at: datetime
    last_event_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class EventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    text: str
    alert_id: int | None
    group_id: int | None
    detail: dict[str, Any]


class AlertDetail(AlertOut):
    events: list[EventOut]


class AlertPage(BaseModel):
    """One page of a list, newest first (see docs/alerts.md, "List pages")."""

    items: list[AlertOut]
    #: How many match the filters, counted up to 10,000 (``total_exact`` false beyond).
    total: int
    total_exact: bool
    #: Send as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None


class GroupOut(BaseModel):
    id: int
    service: str
    status: Literal["open", "resolved"]
    title: str
    rule: str
    labels: dict[str, Any]
    escalation_policy: str | None
    urgency: str
    routing_rule: str | None
    alert_count: int
    paging: bool
    suppressed_by: str | None
    suppressed_until: datetime | None
    incident_id: int | None
    opened_at: datetime
    last_alert_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    outcome: str | None


class GroupDetail(GroupOut):
    alerts: list[AlertOut]
    events: list[EventOut]


class GroupPage(BaseModel):
    """One page of a list, newest first (see docs/alerts.md, "List pages")."""

    items: list[GroupOut]
    #: How many match the filters, counted up to 10,000 (``total_exact`` false beyond).
    total: int
    total_exact: bool
    #: Send as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None


class AccuracyOut(BaseModel):
    """Alert accuracy of one rule on one service: what its resolved groups turned out to be."""

    service: str
    rule: str
    groups: int
    incidents: int
    acknowledged: int
    noise: int
    #: Share of groups that were real (an incident or acknowledged).
    precision: float


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "checkout-prometheus", "service": "checkout", "type": "alertmanager"}
            ]
        },
    )

    name: ObjectName
    service: ObjectName
    type: IntegrationType
    description: str = Field(default="", max_length=2000)
    rate_limit_per_minute: int = Field(default=DEFAULT_RATE_LIMIT, ge=1, le=10_000_000)
    heartbeat: HeartbeatConfig | None = None
    email: EmailConfig | None = None
    mapping: WebhookMapping | None = None


class KeyOut(BaseModel):
    hint: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None


class IntegrationOut(BaseModel):
    name: str
    service: str
    type: str
    description: str
    rate_limit_per_minute: int
    #: The file that defines it, or None when made through the API.
    managed_by: str | None
    key_env: str | None
    keys: list[KeyOut]
    settings: dict[str, Any]
    #: Where senders send, with ``{key}`` standing for the integration key.
    endpoint: str


class IntegrationKeyOut(BaseModel):
    """A new key: shown once, never again (only its last four characters are kept visible)."""

    integration: IntegrationOut
    key: str
    #: Where the sending tool sends: a full URL (or mail address) with this key.
    endpoint: str


class RevokedOut(BaseModel):
    integration: str
    revoked: int


class SilenceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "matchers": ['alertname="DiskFull"', 'instance=~"db-.*"'],
                    "ends_at": "2026-01-05T12:00:00Z",
                    "comment": "Resizing the volumes",
                }
            ]
        },
    )

    matchers: list[str] = Field(min_length=1, max_length=50)
    starts_at: Instant | None = None
    ends_at: Instant
    comment: str = Field(min_length=1, max_length=2000)


class SilenceOut(BaseModel):
    id: int
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    expired_by: str | None
    active: bool


class MaintenanceWindowOut(BaseModel):
    name: str
    services: list[str]
    start: datetime
    end: datetime
    comment: str
    active: bool
