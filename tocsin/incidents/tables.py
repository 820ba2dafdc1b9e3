"""Incident tables: the incident, its services and tags, roles, checklist and timeline.

The timeline table is append-only: migration 0002 installs triggers that make
the database refuse UPDATE and DELETE on it, so not even a bug in Tocsin can
rewrite history. Incidents are never deleted for the same reason (their
timeline rows reference them without a cascade).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base
from tocsin.db.instants import micros_between

#: The message the append-only triggers raise; tests and errors match on it.
TIMELINE_APPEND_ONLY = "incident_timeline is append-only"


class Incident(Base):
    """A declared incident; ``id`` doubles as its human number (``INC-<id>``)."""

    __tablename__ = "incidents"
    # The list's order (detected_at, id), alone and after each filter it
    # documents, so that a page walks one index from its cursor (see
    # records.search); service and tag filters go through their own tables.
    __table_args__ = (
        Index("ix_incidents_detected", "detected_at", "id"),
        Index("ix_incidents_status_detected", "status", "detected_at", "id"),
        Index("ix_incidents_severity_detected", "severity", "detected_at", "id"),
        Index("ix_incidents_drill_detected", "drill", "detected_at", "id"),
        # The incidents changed since the metrics' rollups last looked (tocsin.metrics.rollups).
        Index("ix_incidents_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: triage, responding, mitigated, resolved or closed (tocsin.domain.lifecycle.Status).
    status: Mapped[str] = mapped_column(String(20))
    #: The level label as configured, e.g. "SEV-2".
    severity: Mapped[str] = mapped_column(String(50))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    #: manual, user_report or alert.
    source: Mapped[str] = mapped_column(String(20), default="manual")
    created_by: Mapped[str] = mapped_column(String(100))
    impact_started_at: Mapped[datetime | None]
    detected_at: Mapped[datetime]
    declared_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    mitigated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    users_affected: Mapped[int | None] = mapped_column(Integer)
    #: As people write it: "$45,000".
    revenue_impact: Mapped[str | None] = mapped_column(String(100))
    #: As people write it: "35%".
    error_budget_consumed: Mapped[str | None] = mapped_column(String(50))
    #: [{"kind": "dashboard" | "ticket" | "war_room" | "other", "url": ..., "title": ...}]
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def reference(self) -> str:
        return f"INC-{self.id}"


# Metrics (tocsin.metrics; migration 0011). MTTD, MTTA and MTTR each read in order from
# their own index, up to the rank of a median or 90th percentile, filtering on the
# columns after the duration. The summary index holds what a period's counts and sums
# read (tocsin.metrics.response) and what a week's counts do (tocsin.metrics.frequency).
# PostgreSQL also holds what each duration is computed from, so that it answers from
# the index alone.
_RESPONSE_TIMES = (
    ("mttd", Incident.detected_at, Incident.impact_started_at, (), (Incident.impact_started_at,)),
    ("mtta", Incident.acknowledged_at, Incident.detected_at, (), (Incident.acknowledged_at,)),
    (
        "mttr",
        Incident.resolved_at,
        Incident.detected_at,
        (Incident.status,),
        (Incident.resolved_at,),
    ),
)
for _name, _later, _earlier, _filtered, _read in _RESPONSE_TIMES:
    Index(
        f"ix_incidents_{_name}",
        Incident.drill,
        micros_between(_later, _earlier),
        *_filtered,
        Incident.detected_at,
        Incident.severity,
        Incident.source,
        postgresql_include=[column.name for column in _read] + ["id"],
    )
Index(
    "ix_incidents_metrics",
    Incident.drill,
    Incident.detected_at,
    Incident.severity,
    Incident.source,
    Incident.status,
    Incident.impact_started_at,
    Incident.acknowledged_at,
    Incident.resolved_at,
    *(micros_between(later, earlier) for _, later, earlier, _, _ in _RESPONSE_TIMES),
    postgresql_include=["id"],
)


class IncidentService(Base):
    """An affected service, one row per name so lists can filter on an index."""

    __tablename__ = "incident_services"
    __table_args__ = (
        PrimaryKeyConstraint("incident_id", "name"),
        Index("ix_incident_services_name", "name"),
    )

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    name: Mapped[str] = mapped_column(String(200))


class IncidentTag(Base):
    __tablename__ = "incident_tags"
    __table_args__ = (
        PrimaryKeyConstraint("incident_id", "name"),
        Index("ix_incident_tags_name", "name"),
    )

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    name: Mapped[str] = mapped_column(String(100))


class IncidentRoleHolder(Base):
    """A current role holder; handovers are on the timeline, not kept here."""

    __tablename__ = "incident_roles"
    __table_args__ = (UniqueConstraint("incident_id", "role", "user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    user_name: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[str] = mapped_column(String(100))


class IncidentChecklistItem(Base):
    """One item of an incident's copy of the response checklist or of a role's duties.

    ``role`` is None for the response checklist and the role name for duties.
    """

    __tablename__ = "incident_checklist_items"
    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(300))
    section: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(40))
    done_by: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None]


class TimelineRow(Base):
    """One timeline entry; never updated or deleted (the database refuses)."""

    __tablename__ = "incident_timeline"
    __table_args__ = (UniqueConstraint("incident_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    #: tocsin.domain.timeline.EntryKind
    kind: Mapped[str] = mapped_column(String(30))
    note_kind: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    occurred_at: Mapped[datetime]
    corrects: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
