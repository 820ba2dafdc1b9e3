"""Request and response bodies of the postmortem API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.params import MAX_INTEGER, Instant

Point = Annotated[str, Field(min_length=1, max_length=2000)]
Points = Annotated[list[Point], Field(max_length=200)]
EntryNumber = Annotated[int, Field(ge=1, le=MAX_INTEGER)]
UserName = Annotated[str, Field(min_length=1, max_length=100)]
Status = Literal["draft", "in_review", "published", "closed"]
Priority = Literal["P1", "P2", "P3"]
ItemType = Literal["detect", "mitigate", "prevent", "process"]
ItemStatus = Literal["open", "in_progress", "done", "wont_do"]
#: A postmortem in a path: PM-3 or 3.
Reference = Annotated[
    str,
    Path(
        description="The postmortem's reference (PM-3) or number", examples=["PM-3"], max_length=30
    ),
]


class PostmortemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{}, {"template": "lightweight"}]}
    )

    template: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: the settings' template"
    )
    owner: UserName | None = Field(default=None, description="Default: the Incident Commander")


class ImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users_affected: int | None = Field(default=None, ge=0, le=MAX_INTEGER)
    revenue_impact: str | None = Field(default=None, max_length=100, examples=["$45,000"])
    error_budget_consumed: str | None = Field(default=None, max_length=50, examples=["35%"])
    description: str | None = Field(default=None, max_length=20_000)


class TimelineItemIn(BaseModel):
    """An entry of the incident's timeline (``sequence``), or one the author writes."""

    model_config = ConfigDict(extra="forbid")

    sequence: EntryNumber | None = Field(default=None, description="An incident timeline entry")
    at: Instant | None = Field(default=None, description="Required without sequence")
    event: str | None = Field(default=None, min_length=1, max_length=2000)


class WhyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    why: str = Field(min_length=1, max_length=2000)
    answer: str = Field(default="", max_length=5000)
    cites: list[EntryNumber] = Field(
        default_factory=list, max_length=50, description="Timeline entries the answer rests on"
    )


class PostmortemEdit(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "version": 3,
                    "summary": "Checkout failed for 47 minutes after a slow query exhausted "
                    "the connection pool.",
                    "impact": {"users_affected": 12500},
                    "five_whys": [
                        {
                            "why": "Why did checkout fail?",
                            "answer": "The connection pool was exhausted.",
                            "cites": [4],
                        }
                    ],
                    "contributing_factors": ["No query performance testing in CI"],
                }
            ]
        },
    )

    version: int | None = Field(
        default=None, ge=1, le=MAX_INTEGER, description="The version edited; 409 if newer exists"
    )
    title: str | None = Field(default=None, min_length=1, max_length=300)
    date: str | None = Field(default=None, max_length=40)
    duration: str | None = Field(default=None, max_length=100)
    authors: list[UserName] | None = Field(default=None, max_length=100)
    summary: str | None = Field(default=None, max_length=20_000)
    impact: ImpactIn | None = None
    timeline: list[TimelineItemIn] | None = Field(default=None, max_length=20_000)
    root_cause: str | None = Field(default=None, max_length=20_000)
    five_whys: list[WhyIn] | None = Field(default=None, max_length=20)
    contributing_factors: Points | None = None
    what_went_well: Points | None = None
    what_went_poorly: Points | None = None
    where_we_got_lucky: Points | None = None
    lessons_learned: Points | None = None
    extra: dict[Annotated[str, Field(max_length=50)], str | Points] | None = Field(
        default=None, max_length=50, description="The template's own sections, by key"
    )
    owner: UserName | None = Field(default=None, description="Who is reminded until published")
    due_at: Instant | None = None


class ReviewerOut(BaseModel):
    user: str
    verdict: Literal["pending", "approved", "changes_requested"]
    comment: str | None
    requested_at: datetime
    decided_at: datetime | None


class TrackerLinkOut(BaseModel):
    """The item's issue in one issue tracker (see docs/issue-trackers.md)."""

    tracker: str = Field(examples=["github-infra"])
    state: Literal["pending", "linked", "failed"] = Field(
        description="pending: being created; linked: the issue exists; failed: the tracker "
        "refused to create it (see error)"
    )
    key: str | None = Field(examples=["42", "OPS-7"])
    url: str | None
    error: str | None = Field(description="The tracker's answer to the last failed attempt")
    updated_at: datetime


class ActionItemOut(BaseModel):
    reference: str = Field(examples=["AI-7"])
    id: int
    postmortem: str | None
    incident: str | None
    description: str
    owner: str | None
    priority: Priority
    type: ItemType
    due_date: date | None
    team: str | None = Field(description="The team answerable for it")
    status: ItemStatus
    reason: str | None = Field(description="Why it won't be done")
    overdue: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    done_at: datetime | None
    trackers: list[TrackerLinkOut] = Field(
        default_factory=list, description="Its issues in the configured issue trackers"
    )


class AttendeeOut(BaseModel):
    name: str
    email: str | None = Field(description="Null: not invited, no email address")
    why: list[str]


class MeetingOut(BaseModel):
    uid: str
    sequence: int = Field(description="Raised each time the meeting moves (RFC 5545)")
    starts_at: datetime
    ends_at: datetime
    location: str
    organizer: str
    attendees: list[AttendeeOut]


class FlagOut(BaseModel):
    """A sentence that may read as blame: where, which rule, why, and what to write instead."""

    rule: str = Field(examples=["person_blamed"])
    field: str = Field(examples=["summary"], description='The document\'s field ("text": a text)')
    sentence: str
    matched: str = Field(description="The words the rule matched")
    start: int = Field(description="Where the match starts in the field's text")
    end: int
    explanation: str = Field(description="Why it reads as blame")
    alternative: str = Field(description="The blameless way to say it")


class LanguageIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Bob forgot to restart the pool."}]},
    )

    text: str = Field(max_length=100_000)


class PostmortemOut(BaseModel):
    reference: str = Field(examples=["PM-3"])
    incident: str = Field(examples=["INC-42"])
    status: Status
    required: bool = Field(description="Whether its incident's severity required it")
    template: str | None
    owner: str | None
    due_at: datetime
    overdue: bool
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None
    #: When its public version was put on the status page (None: it is not public).
    public_at: datetime | None = None
    public_notified_at: datetime | None = Field(
        default=None,
        description="When the status page's subscribers were told it is public (null: never)",
    )
    reviewers: list[ReviewerOut]
    action_items: list[ActionItemOut]
    meeting: MeetingOut | None
    flags: list[FlagOut] | None = Field(
        description="The blameless language check of the document (advice; null in lists)"
    )
    document: dict[str, Any] = Field(description="The document (see docs/postmortems.md)")


class PostmortemPage(BaseModel):
    items: list[PostmortemOut]
    total: int = Field(description="Matching postmortems, counted up to 10,000")
    total_exact: bool
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last")


class CandidateOut(BaseModel):
    """An entry of the incident's timeline, and whether the document's timeline has it."""

    sequence: int
    at: datetime
    kind: str
    text: str
    author: str | None
    selected: bool
    key: str | None = Field(description="Why a draft selects it (null: it does not)")


class ChangeOut(BaseModel):
    field: str
    before: Any
    after: Any


class VersionOut(BaseModel):
    version: int
    at: datetime
    author: str
    action: str
    comment: str | None
    changes: list[ChangeOut]


Version = Annotated[
    int | None,
    Field(default=None, ge=1, le=MAX_INTEGER, description="The version acted on; 409 if newer"),
]


class SubmitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reviewers": ["carol", "dan"]}]}
    )

    reviewers: list[UserName] = Field(min_length=1, max_length=20)
    version: Version = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"verdict": "approve", "comment": "Clear and blameless."},
                {"verdict": "request_changes", "comment": "Say what made the query slow."},
            ]
        },
    )

    verdict: Literal["approve", "request_changes"]
    comment: str = Field(default="", max_length=5000, description="Required to request changes")


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 7}]})

    version: Version = None


class ActionItemIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Add query performance tests to CI",
                    "owner": "engineer-c",
                    "priority": "P1",
                    "type": "prevent",
                    "due_date": "2026-03-01",
                }
            ]
        },
    )

    description: str = Field(min_length=1, max_length=2000)
    owner: UserName | None = None
    priority: Priority = "P2"
    type: ItemType = "prevent"
    due_date: date | None = None
    team: UserName | None = Field(
        default=None, description="Default: the team owning the incident's first service"
    )


class ActionItemCreate(ActionItemIn):
    """An action item created directly: for an incident, a postmortem, or neither."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Alert on connection pool saturation",
                    "owner": "carol",
                    "priority": "P1",
                    "type": "detect",
                    "due_date": "2026-03-01",
                    "incident": "INC-12",
                },
                {"description": "Rotate the on-call handbook", "team": "payments"},
            ]
        },
    )

    type: ItemType = "prevent"
    incident: str | None = Field(
        default=None, max_length=30, description="The incident it is for (INC-12)"
    )
    postmortem: str | None = Field(
        default=None, max_length=30, description="The postmortem it comes from (PM-3)"
    )
    team: UserName | None = Field(
        default=None,
        description="Default: the team owning the incident's first service (none without one)",
    )


class HistoryOut(BaseModel):
    """One change of an action item, or one reminder sent about it."""

    at: datetime
    author: str
    action: str = Field(examples=["action_item_changed", "reminded"])
    said: str
    changes: list[dict[str, Any]]
    comment: str | None


class ActionItemChange(BaseModel):
    """The fields to change; won't do needs a ``reason``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "done"},
                {"status": "wont_do", "reason": "The service is being retired."},
                {"owner": "dan", "due_date": "2026-03-15"},
            ]
        },
    )

    description: str | None = Field(default=None, min_length=1, max_length=2000)
    owner: UserName | None = None
    priority: Priority | None = None
    type: ItemType | None = None
    due_date: date | None = None
    team: UserName | None = None
    status: ItemStatus | None = None
    reason: str | None = Field(default=None, max_length=2000)


class PublicIn(BaseModel):
    """How the public version goes on the status page."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"notify": True}]})

    notify: bool = Field(
        default=False,
        description="Tell the status page's subscribers it is public (once: later calls with "
        "notify tell nobody again)",
    )


class MeetingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "starts_at": "2026-02-17T15:00:00Z",
                    "duration_minutes": 60,
                    "location": "https://meet.example.com/pm-3",
                }
            ]
        },
    )

    starts_at: Instant
    duration_minutes: int = Field(default=60, ge=15, le=480)
    location: str = Field(default="", max_length=500)
    attendees: list[UserName] | None = Field(
        default=None, max_length=100, description="Default: the proposed attendees"
    )
