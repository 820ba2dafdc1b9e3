"""Request and response bodies of the status page's management API (``/api/v1/status-page``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.params import Instant
from tocsin.statuspage.config_schema import ComponentStatus, TemplateName

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
ImpactName = Literal["none", "minor", "major", "critical"]
ComponentName = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdateIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "identified",
                    "body": "A faulty deploy; we are rolling it back.",
                    "components": {"Checkout": "partial_outage"},
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Payments failing for some customers",
                    "status": "investigating",
                    "body": "We are investigating failed payments.",
                    "components": {"Checkout": "major_outage"},
                }
            ]
        },
    )

    status: IncidentStatus = "investigating"
    name: str = Field(
        min_length=1,
        max_length=200,
        description="The public title: plain words, not the internal one",
        examples=["Payments are failing for some customers"],
    )


class BackfillIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Slow searches",
                    "impact": "minor",
                    "started_at": "2026-06-01T09:00:00Z",
                    "updates": [
                        {
                            "status": "resolved",
                            "body": "Searches were slow for 20 minutes.",
                            "display_at": "2026-06-01T09:20:00Z",
                            "notify": False,
                        }
                    ],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    impact: ImpactName = "minor"
    started_at: Instant
    incident: str | None = Field(default=None, max_length=30, examples=["INC-42"])
    updates: list[UpdateIn] = Field(min_length=1, max_length=50)


class MaintenanceIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Database upgrade",
                    "body": "Checkout may be slow for a few minutes.",
                    "components": ["Checkout"],
                    "scheduled_for": "2026-06-02T22:00:00Z",
                    "scheduled_until": "2026-06-02T23:00:00Z",
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "major_outage"}]}
    )

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
    next_update_due: datetime | None = Field(
        description="When the next public update is due: the last one plus the severity's "
        "communication interval (None once resolved, for maintenance, or without a severity)"
    )
    overdue_seconds: int | None = Field(
        description="How long past next_update_due it is; None while it is not overdue"
    )
    url: str
    updates: list[UpdateOut]


class DraftOut(BaseModel):
    template: TemplateName
    #: Whether the template gets the public context (no timeline, roles or internal title).
    public: bool
    text: str


class PreviewIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "template": "no_update",
                    "text": "Still on it; next update by {{ next_update_time }}.",
                }
            ]
        },
    )

    template: TemplateName = Field(
        description="Which message the text drafts: it decides the context it gets"
    )
    text: str = Field(
        min_length=1,
        max_length=20_000,
        description="Jinja2 template text",
        examples=["We are still investigating; next update by {{ next_update_time }}."],
    )
    name: str | None = Field(
        default=None,
        max_length=200,
        description="The public name to use while the incident is not published",
    )


class NoUpdateIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"notify": True}]})

    notify: bool = Field(default=True, description="Tell subscribers")


class SummaryOut(BaseModel):
    incident: str
    #: The draft from the post_resolution_summary template, to edit before approving.
    draft: str
    approved: str | None
    approved_by: str | None
    approved_at: datetime | None
    #: The customers of the incident's services, who get the approved summary.
    customers: list[str]


class SummaryApproveIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "What happened\nCheckout failed for 40 minutes...\n\n"
                    "How it was fixed\n...\n\nWhat we will do to prevent it\n..."
                }
            ]
        },
    )

    text: str = Field(min_length=1, max_length=20_000, description="The edited summary")


class SummaryApprovedOut(BaseModel):
    incident: str
    approved_by: str
    sent_to: list[str]


class ReportOut(BaseModel):
    incident: str
    #: The people of each audience role the report went to.
    sent_to: dict[str, list[str]]
    next_report_due: datetime | None
