"""Request and response bodies of the status page's management API (``/api/v1/status-page``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.params import Instant
from tocsin.statuspage.config_schema import ComponentStatus

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
ImpactName = Literal["none", "minor", "major", "critical"]
ComponentName = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdateIn(Strict):
    status: IncidentStatus | MaintenanceStatus
    body: str = Field(min_length=1, max_length=5000, examples=["We are investigating errors."])
    components: dict[ComponentName, ComponentStatus] = Field(
        default_factory=dict,
        description="The new status of each affected component",
        examples=[{"Checkout": "major_outage"}],
    )
    notify: bool = Field(default=True, description="Tell subscribers")
    display_at: Instant | None = Field(
        default=None, description="When it happened, for an update posted after the fact"
    )
    impact: ImpactName | None = None


class PublishIn(UpdateIn):
    status: IncidentStatus = "investigating"
    name: str = Field(
        min_length=1,
        max_length=200,
        description="The public title: plain words, not the internal one",
        examples=["Payments are failing for some customers"],
    )


class BackfillIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    impact: ImpactName = "minor"
    started_at: Instant
    incident: str | None = Field(default=None, max_length=30, examples=["INC-42"])
    updates: list[UpdateIn] = Field(min_length=1, max_length=50)


class MaintenanceIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    components: list[ComponentName] = Field(min_length=1, max_length=200)
    scheduled_for: Instant
    scheduled_until: Instant
    auto_transition: bool = Field(
        default=True, description="Start and complete on its own at the scheduled times"
    )
    notify: bool = True


class ComponentStatusIn(Strict):
    status: ComponentStatus


class ProposalOut(BaseModel):
    status: ComponentStatus
    because: str
    incidents: list[str]


class ComponentOut(BaseModel):
    name: str
    group: str
    description: str
    position: int
    only_show_if_degraded: bool
    status: ComponentStatus
    changed_at: datetime
    proposal: ProposalOut | None


class UpdateOut(BaseModel):
    id: str
    status: str
    body: str
    created_at: datetime
    display_at: datetime
    affected_components: list[dict[str, Any]]
    notify: bool


class PublicIncidentOut(BaseModel):
    id: str
    kind: Literal["incident", "maintenance"]
    incident: str | None
    name: str
    status: str
    impact: str
    components: list[str]
    backfilled: bool
    started_at: datetime
    resolved_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    last_update_at: datetime
    url: str
    updates: list[UpdateOut]
