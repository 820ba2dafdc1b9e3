"""Request and response bodies of the incident and classification APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.params import MAX_INTEGER, Instant

NoteKindName = Literal["observation", "decision", "action"]
LinkKind = Literal["dashboard", "ticket", "war_room", "runbook", "other"]


class Impact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users_affected: int | None = Field(
        default=None, ge=0, le=MAX_INTEGER, description="How many users"
    )
    revenue_impact: str | None = Field(default=None, max_length=100, examples=["$45,000"])
    error_budget_consumed: str | None = Field(default=None, max_length=50, examples=["35%"])


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LinkKind = "other"
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://\S+$")
    title: str = Field(default="", max_length=200)


class IncidentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Payment processing is failing",
                    "severity": "SEV-2",
                    "summary": "Card payments time out for about half of the requests.",
                    "services": ["payments"],
                    "impact_started_at": "2026-02-15T14:02:00Z",
                    "links": [{"kind": "dashboard", "url": "https://grafana.example.com/d/pay"}],
                    "tags": ["checkout"],
                },
                {
                    "title": "Customers report login loops",
                    "severity": "SEV-3",
                    "source": "user_report",
                    "reported_by": "support: ticket 4711",
                },
            ]
        },
    )

    title: str = Field(min_length=1, max_length=200)
    severity: str = Field(min_length=1, max_length=50, description="A configured level")
    summary: str = Field(default="", max_length=20_000)
    source: Literal["manual", "user_report"] = Field(
        default="manual", description="How it was found; alerts declare through their integrations"
    )
    reported_by: str | None = Field(default=None, max_length=200)
    drill: bool = Field(default=False, description="A drill or game day; excluded from metrics")
    detected_at: Instant | None = Field(default=None, description="Default: now")
    impact_started_at: Instant | None = Field(
        default=None, description="When the impact began; may precede detection"
    )
    services: list[str] = Field(default_factory=list, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=100)
    impact: Impact = Field(default_factory=Impact)
    links: list[Link] = Field(default_factory=list, max_length=100)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class IncidentPatch(BaseModel):
    """Only the fields present change; each change is a timeline entry."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "summary": "Connection pool exhaustion after the v3.4.2 release.",
                    "impact_started_at": "2026-02-15T14:02:00Z",
                    "impact": {"users_affected": 12500, "revenue_impact": "$45,000"},
                    "links": [
                        {"kind": "war_room", "url": "https://chat.example.com/inc-42"},
                        {"kind": "ticket", "url": "https://jira.example.com/OPS-1"},
                    ],
                }
            ]
        },
    )

    title: str | None = Field(default=None, min_length=1, max_length=200)
    summary: str | None = Field(default=None, max_length=20_000)
    impact_started_at: Instant | None = None
    services: list[str] | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=100)
    impact: Impact | None = None
    links: list[Link] | None = Field(default=None, max_length=100)
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="Fields to set; null removes a field"
    )


class RoleHolderOut(BaseModel):
    role: str
    user: str
    assigned_at: datetime
    assigned_by: str


class Progress(BaseModel):
    done: int
    total: int


class IncidentOut(BaseModel):
    id: int
    reference: str = Field(examples=["INC-42"])
    title: str
    summary: str
    status: str
    severity: str
    drill: bool
    source: str
    created_by: str
    impact_started_at: datetime | None
    detected_at: datetime
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    services: list[str]
    tags: list[str]
    impact: Impact
    links: list[Link]
    custom_fields: dict[str, Any]
    roles: list[RoleHolderOut]
    allowed_transitions: list[str] = Field(description="Statuses this incident may move to")
    checklist: Progress
    created_at: datetime
    updated_at: datetime


class IncidentPage(BaseModel):
    """One page of the incident list; send ``next_cursor`` as ``cursor`` for the next one."""

    items: list[IncidentOut]
    total: int = Field(description="Matching incidents, counted up to 10,000")
    total_exact: bool = Field(description="False when more than 10,000 match (total is capped)")
    limit: int
    offset: int
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last")


class StatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "mitigated", "reason": "Rolled back to v3.4.1"},
                {"status": "resolved", "reason": "False alarm: synthetic check misconfigured"},
            ]
        },
    )

    status: str = Field(min_length=1, max_length=20)
    reason: str | None = Field(default=None, max_length=2000)


class SeverityChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"severity": "SEV-1", "reason": "Affected users generate 50% of revenue"}]
        },
    )

    severity: str = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


class RoleAssign(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "incident_commander", "user": "alice"}]},
    )

    role: str = Field(
        min_length=1,
        max_length=50,
        description="incident_commander, communications_lead, operations_lead "
        "(alias technical_lead), scribe, responder or subject_matter_expert",
    )
    user: str = Field(min_length=1, max_length=100)


class NoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "Connection pool at 100% on db-1", "kind": "observation"},
                {
                    "text": "Decided to roll back to v3.4.1",
                    "kind": "decision",
                    "occurred_at": "2026-02-15T14:32:00Z",
                },
                {"text": "The rollback started at 14:30, not 14:32", "corrects": 7},
            ]
        },
    )

    text: str = Field(min_length=1, max_length=20_000)
    kind: NoteKindName = "observation"
    occurred_at: Instant | None = Field(
        default=None, description="When it happened, if earlier than now (back-dating)"
    )
    corrects: int | None = Field(
        default=None, ge=1, le=MAX_INTEGER, description="Sequence number of the entry this corrects"
    )


class TimelineEntryOut(BaseModel):
    sequence: int
    kind: str
    note_kind: str | None
    text: str
    author: str | None
    occurred_at: datetime
    recorded_at: datetime
    corrects: int | None
    details: dict[str, str]


class ChecklistChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"key": "investigate.review-recent-deployments", "done": True},
                {"key": "scribe.record-timeline-of-events", "done": True},
            ]
        },
    )

    key: str = Field(min_length=1, max_length=300)
    done: bool = True


class ChecklistItemOut(BaseModel):
    key: str
    section: str
    text: str
    done: bool
    done_by: str | None
    done_at: datetime | None


class DutiesOut(BaseModel):
    user: str
    items: list[ChecklistItemOut]


class ChecklistOut(BaseModel):
    items: list[ChecklistItemOut] = Field(description="The incident response checklist")
    progress: Progress
    duties: list[DutiesOut] = Field(
        description="Each current role holder's responsibilities as a checklist"
    )


class ChangeOut(BaseModel):
    """The incident after a change, and the timeline entries the change wrote (maybe none)."""

    incident: IncidentOut
    entries: list[TimelineEntryOut]


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"users_affected": 1.0, "complete_outage": True},
                {"users_affected": 0.05, "revenue_share": 0.5, "workaround": False},
                {"users_affected": 0.2, "workaround": True, "certainty": "uncertain"},
                {"users_affected": 0.01, "business_functions": ["payments"], "certainty": 0.6},
            ]
        },
    )

    users_affected: float = Field(
        default=0.0, ge=0, le=1, description="Share of users affected, 0 to 1"
    )
    revenue_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of revenue those users generate, 0 to 1"
    )
    business_functions: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Affected functions, e.g. payments, authentication, data_loss, security_breach",
    )
    complete_outage: bool = False
    workaround: bool | None = Field(
        default=None, description="Whether an effective workaround exists; null if unknown"
    )
    certainty: Literal["certain", "uncertain"] | float = Field(
        default="certain", description="'certain', 'uncertain' or a confidence from 0 to 1"
    )


class ClassifyResponse(BaseModel):
    level: str = Field(examples=["SEV-1"])
    reasons: list[str] = Field(
        examples=[["users affected 5% ≥ 1% → SEV-2", "affected users generate 50% of revenue"]]
    )
    levels: list[str] = Field(description="The configured levels, most severe first")


class SeverityOut(BaseModel):
    """One configured level with its text and the values Tocsin computes with."""

    level: str
    name: str
    rank: int = Field(description="0 is the most severe")
    description: str
    response_time: str
    response_time_seconds: int | None = Field(description="null means the next business day")
    communication: str
    communication_every_seconds: int
    escalation: str
    escalation_audience: list[str]
    examples: list[str]
    formal_declaration: bool = Field(description="Declaring at this level runs the formal path")


class ErrorOut(BaseModel):
    """A refusal; ``detail`` says what was wrong and what is allowed."""

    detail: str = Field(examples=["INC-42: cannot go from triage to closed; allowed: responding"])


class ValidationErrorOut(BaseModel):
    """Bad input; each item's ``loc`` ends with the offending field."""

    detail: list[dict[str, Any]] = Field(
        examples=[[{"loc": ["body", "reason"], "msg": "required", "type": "value_error"}]]
    )
