"""Postmortem tables: the postmortem, its versions, reviewers, action items, review meeting.

A postmortem belongs to one incident (``incident_id`` is unique). Its document
is kept whole in ``content`` (see :mod:`tocsin.domain.postmortem_document`);
``version`` counts its changes, and each change is a :class:`PostmortemVersion`
row saying who made it, when, and what it changed (field by field, before and
after). Versions are never edited or deleted.

Action items are a table of their own, linked to a postmortem and its
incident: their owners work on them long after the document is published.
Each one synced to an issue tracker has a :class:`TrackerLink` per tracker.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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

#: Postmortem statuses, in the order the workflow moves through them.
DRAFT, IN_REVIEW, PUBLISHED, CLOSED = "draft", "in_review", "published", "closed"
STATUSES = (DRAFT, IN_REVIEW, PUBLISHED, CLOSED)


class Postmortem(Base):
    """One incident's postmortem; ``id`` doubles as its human number (``PM-<id>``)."""

    __tablename__ = "postmortems"
    # The list's order (id, newest first), alone and after each filter it offers.
    __table_args__ = (
        Index("ix_postmortems_status_id", "status", "id"),
        Index("ix_postmortems_owner_id", "owner", "id"),
        # The metrics' postmortems by due time, with what their state needs
        # (tocsin.metrics.postmortem_timeliness; migration 0017).
        Index("ix_postmortems_due_metrics", "due_at", "published_at", "required", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    #: draft, in_review, published or closed.
    status: Mapped[str] = mapped_column(String(20))
    #: Whether configuration required it (its severity), rather than someone asking for it.
    required: Mapped[bool] = mapped_column(Boolean)
    #: The template it was drafted with (None: the standard sections).
    template: Mapped[str | None] = mapped_column(String(200))
    #: Who is reminded until it is published: the Incident Commander unless changed.
    owner: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: When its public version was put on the status page (None: it is not public).
    public_at: Mapped[datetime | None]
    public_by: Mapped[str | None] = mapped_column(String(100))

    @property
    def reference(self) -> str:
        return f"PM-{self.id}"


class PostmortemVersion(Base):
    """One change: who, when, what (``action``), and each field before and after."""

    __tablename__ = "postmortem_versions"
    __table_args__ = (UniqueConstraint("postmortem_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id"))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(100))
    #: drafted, edited, ... (see tocsin.postmortems.versions).
    action: Mapped[str] = mapped_column(String(40))
    #: [{"field": ..., "before": ..., "after": ...}]
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)


class PostmortemReviewer(Base):
    """A reviewer named when the postmortem was last submitted, and their verdict."""

    __tablename__ = "postmortem_reviewers"
    __table_args__ = (PrimaryKeyConstraint("postmortem_id", "user_name"),)

    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id"))
    user_name: Mapped[str] = mapped_column(String(100))
    #: pending, approved or changes_requested (tocsin.domain.postmortem_workflow.Verdict).
    verdict: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]


class ActionItem(Base):
    """Something to change so that it does not happen again, owned and due."""

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_postmortem_id", "postmortem_id", "id"),
        Index("ix_action_items_owner_status", "owner", "status"),
        Index("ix_action_items_team_status", "team", "status"),
        # The metrics' action items by creation time, with what they count
        # (tocsin.metrics.action_item_completion; migration 0017).
        Index(
            "ix_action_items_created_metrics",
            "created_at",
            "team",
            "status",
            "due_date",
            "incident_id",
            "done_at",
        ),
        # The list's order (id, newest first) after each filter it offers (migration 0014).
        Index("ix_action_items_owner_id", "owner", "id"),
        Index("ix_action_items_team_id", "team", "id"),
        Index("ix_action_items_status_id", "status", "id"),
        Index("ix_action_items_incident_id_id", "incident_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int | None] = mapped_column(ForeignKey("postmortems.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(100))
    #: P1, P2 or P3.
    priority: Mapped[str] = mapped_column(String(2))
    #: detect, mitigate, prevent or process.
    type: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[date | None] = mapped_column(Date)
    #: open, in_progress, done or wont_do (tocsin.domain.postmortem_workflow.ItemStatus).
    status: Mapped[str] = mapped_column(String(20))
    #: The team answerable for it: given when it is created, else the team that owned the
    #: incident's first affected service (by name) then; None when neither is known.
    team: Mapped[str | None] = mapped_column(String(100))
    #: Why it won't be done.
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    @property
    def reference(self) -> str:
        return f"AI-{self.id}"


class ReviewMeeting(Base):
    """The postmortem's review meeting; rescheduling it raises ``sequence`` (RFC 5545)."""

    __tablename__ = "postmortem_meetings"

    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id"), primary_key=True)
    #: The invitation's UID, the same for every version of the meeting.
    uid: Mapped[str] = mapped_column(String(100))
    sequence: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(500), default="")
    organizer: Mapped[str] = mapped_column(String(100))
    #: [{"name": ..., "email": ... | None, "why": [...]}]
    attendees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


#: A tracker link's states: its issue is being created, exists, or could not be created.
LINK_PENDING, LINK_LINKED, LINK_FAILED = "pending", "linked", "failed"


class TrackerLink(Base):
    """An action item's issue in one configured issue tracker (see tocsin.postmortems.trackers).

    ``key`` and ``url`` are the issue's (``"42"`` in GitHub, ``"OPS-7"`` in Jira, what a
    webhook receiver answered or the item's reference); ``remote_state`` the tracker's
    own state as last seen or set; ``pushed`` the item as last sent, so that only a real
    change is sent again and a status that came from the tracker is not sent back.
    """

    __tablename__ = "action_item_trackers"
    __table_args__ = (
        UniqueConstraint("action_item_id", "tracker"),
        Index("ix_action_item_trackers_tracker_key", "tracker", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id"))
    tracker: Mapped[str] = mapped_column(String(200))
    #: pending, linked or failed.
    state: Mapped[str] = mapped_column(String(20))
    key: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    remote_state: Mapped[str | None] = mapped_column(String(200))
    pushed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The tracker's answer to the last failed attempt; None once one succeeds.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
