"""Alert tables: integration keys, alerts, alert groups, their history, silences, heartbeats.

Integrations themselves are definitions (kind ``integration``), made by
configuration or by the API; only their keys live here, as SHA-256 digests.

The database enforces "one open alert per (service, dedup key)" with a
partial unique index (``WHERE status != 'resolved'``) on SQLite and
PostgreSQL alike, so ingest is an upsert and two concurrent posts of the same
new alert cannot create two alerts. Every query on the ingest path uses an
index, so ingest does not slow down as history grows. Likewise every filter of the
alert and group lists has an index that serves it in list order (newest
first), so a page costs the same at any depth (``tocsin.db.keyset``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base

OPEN_ALERT = text("status != 'resolved'")


class IntegrationKey(Base):
    """A secret that lets a source post alerts to one integration; only its digest is stored."""

    __tablename__ = "integration_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The integration's definition name.
    integration: Mapped[str] = mapped_column(String(200), index=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: The last four characters, so people can tell keys apart.
    hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class AlertGroup(Base):
    """Alerts that page together; the first one opens it, later ones join silently.

    ``join_key`` is the group key while the group still accepts alerts and
    NULL once it is resolved or its window passed; the unique constraint on
    (service, join_key) means at most one group per key accepts alerts at a
    time (NULLs never collide).
    """

    __tablename__ = "alert_groups"
    __table_args__ = (
        UniqueConstraint("service", "join_key"),
        Index("ix_alert_groups_status_opened_at", "status", "opened_at"),
        # The group list (newest first) by status, by service, by both.
        Index("ix_alert_groups_status_id", "status", "id"),
        Index("ix_alert_groups_service_id", "service", "id"),
        Index("ix_alert_groups_service_status_id", "service", "status", "id"),
        # The groups resolved since the metrics' rollups last looked (tocsin.metrics.rollups).
        Index("ix_alert_groups_resolved_at", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    group_key: Mapped[str] = mapped_column(String(64))
    join_key: Mapped[str | None] = mapped_column(String(64))
    #: open or resolved.
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    #: What produced the first alert (its alertname, else its summary), for alert accuracy.
    rule: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Frozen when the group opens: later policy edits do not change a running group.
    escalation_policy: Mapped[str | None] = mapped_column(String(200))
    urgency: Mapped[str] = mapped_column(String(8))
    routing_rule: Mapped[str | None] = mapped_column(String(200))
    alert_count: Mapped[int] = mapped_column(Integer, default=1)
    #: Whether the group has been handed to paging (the ``alert_group.opened`` job).
    paging: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "silence 12", "maintenance db-upgrade" or "flapping" while paging is held back.
    suppressed_by: Mapped[str | None] = mapped_column(String(250))
    suppressed_until: Mapped[datetime | None]
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    opened_at: Mapped[datetime]
    last_alert_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    #: incident, acknowledged or noise, set when the group resolves (tocsin.domain.grouping).
    outcome: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class Alert(Base):
    """One alert: a dedup key on a service, from first trigger to resolution."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open_service_dedup_key",
            "service",
            "dedup_key",
            unique=True,
            sqlite_where=OPEN_ALERT,
            postgresql_where=OPEN_ALERT,
        ),
        Index("ix_alerts_service_dedup_key_triggered_at", "service", "dedup_key", "triggered_at"),
        Index("ix_alerts_integration_dedup_key", "integration", "dedup_key"),
        Index("ix_alerts_group_id_status", "group_id", "status"),
        # One day's alerts, counted for the metrics' rollups (tocsin.metrics.rollups).
        Index("ix_alerts_triggered_at", "triggered_at"),
        # The alert list (newest first) by status, by service, by both; "open" (every
        # status but resolved) through partial indexes holding only open alerts.
        Index("ix_alerts_status_id", "status", "id"),
        Index("ix_alerts_service_id", "service", "id"),
        Index("ix_alerts_service_status_id", "service", "status", "id"),
        Index("ix_alerts_open_id", "id", sqlite_where=OPEN_ALERT, postgresql_where=OPEN_ALERT),
        Index(
            "ix_alerts_open_service_id",
            "service",
            "id",
            sqlite_where=OPEN_ALERT,
            postgresql_where=OPEN_ALERT,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    dedup_key: Mapped[str] = mapped_column(String(255))
    #: triggered, acknowledged or resolved.
    status: Mapped[str] = mapped_column(String(16))
    #: critical, error, warning or info.
    severity: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    #: The integration that created it and its type (alertmanager, pagerduty, ...).
    integration: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(32))
    #: The system the alert is about, as the source names it.
    source: Mapped[str] = mapped_column(String(255), default="")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    links: Mapped[list[Any]] = mapped_column(default=list)
    runbook_url: Mapped[str | None] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    #: What held back paging when it opened (a silence, maintenance, flapping), if anything.
    suppressed_by: Mapped[str | None] = mapped_column(String(250))
    urgency: Mapped[str] = mapped_column(String(8))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("alert_groups.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime | None]
    triggered_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))


class AlertEvent(Base):
    """The history of alerts and groups: every trigger, repeat, acknowledgement, resolution."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_groups.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SilenceRow(Base):
    """A silence: alerts matching every matcher between start and end do not page."""

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Matcher texts, e.g. ``alertname="DiskFull"``.
    matchers: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    #: Set when someone ends the silence early (``ends_at`` moves to that instant too).
    expired_by: Mapped[str | None] = mapped_column(String(100))


class Heartbeat(Base):
    """The state of one heartbeat integration (dead man's switch)."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration: Mapped[str] = mapped_column(String(200), unique=True)
    #: new (never pinged), up, or down (a ping is overdue and an alert is open).
    status: Mapped[str] = mapped_column(String(8))
    last_ping_at: Mapped[datetime | None]
    #: When the pending check job is due; NULL when no check is queued.
    next_check_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
