"""On-call runtime facts: overrides, swap requests, calendar feeds, handoff notes and reports.

Schedules themselves are definitions (``definitions`` rows of kind
``schedule``); everything here hangs off such a row and goes with it when the
schedule is deleted. People are referred to by user name, as schedules do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base

#: States of a swap request; only ``requested`` ones can still change.
SWAP_REQUESTED, SWAP_ACCEPTED, SWAP_DECLINED, SWAP_CANCELLED = (
    "requested",
    "accepted",
    "declined",
    "cancelled",
)


class OverrideRow(Base):
    """``user_name`` holds ``layer`` of a schedule for [start_at, end_at).

    Later rows win over earlier ones where they overlap, and all of them over
    the overrides written in the schedule's configuration.
    """

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule_end", "schedule_id", "end_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(200))
    user_name: Mapped[str] = mapped_column(String(100))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    #: True when an admin created it despite the fairness violations it adds.
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class SwapRow(Base):
    """``requester`` asks ``covering`` to hold ``layer`` for them over [start_at, end_at)."""

    __tablename__ = "oncall_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("definitions.id", ondelete="CASCADE"), index=True
    )
    layer: Mapped[str] = mapped_column(String(200))
    requester: Mapped[str] = mapped_column(String(100), index=True)
    covering: Mapped[str] = mapped_column(String(100), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    message: Mapped[str] = mapped_column(Text, default="")
    #: requested, accepted, declined or cancelled.
    state: Mapped[str] = mapped_column(String(16), default=SWAP_REQUESTED)
    #: The override an accepted swap created.
    override_id: Mapped[int | None] = mapped_column(
        ForeignKey("oncall_overrides.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))


class CalendarFeed(Base):
    """An iCalendar subscription URL for one schedule or one person.

    Exactly one of ``schedule_id`` and ``user_id`` is set. The token is in the
    URL, so only its SHA-256 digest is stored; it is shown once, at creation.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, so people can tell feeds apart.
    prefix: Mapped[str] = mapped_column(String(16))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("definitions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class HandoffNote(Base):
    """What someone wants the next handoff on a schedule (one layer, or all) to carry."""

    __tablename__ = "oncall_handoff_notes"
    __table_args__ = (Index("ix_oncall_handoff_notes_schedule_at", "schedule_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"))
    #: None: every layer's next handoff carries it.
    layer: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class HandoffReport(Base):
    """The report built at one handoff on one layer, for its outgoing and incoming people."""

    __tablename__ = "oncall_handoffs"
    __table_args__ = (UniqueConstraint("schedule_id", "layer", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"))
    layer: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(index=True)
    outgoing: Mapped[str | None] = mapped_column(String(100))
    incoming: Mapped[str] = mapped_column(String(100))
    #: Start of the outgoing shift the report covers; it ends at ``at``.
    period_start: Mapped[datetime]
    #: Incidents, notes and the rest; see tocsin.oncall.handoff.build_report.
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
