"""Tables of paging: escalation runs, their events, pages, notifications, attempts, ack tokens.

An **escalation run** is one escalation of one subject (an alert group, an
incident) with the policy frozen into ``policy`` when it started; editing the
policy later changes nothing for runs under way. Each step job carries the
run id and the run's ``step_token``; actions that reschedule (escalate now,
re-trigger after an acknowledgement timeout) bump the token, so step jobs
queued before are recognised as superseded and dropped.

Paging writes these tables only through :mod:`tocsin.paging.statements`; the
classes below serve reads.

A **page** is one person asked to respond by one step. Its **notifications**
are the contact methods its owner's rules pick, each due at its own time;
each try at delivering one is a **delivery attempt**. **Ack tokens** let a
page be acknowledged from a link without logging in; only their SHA-256
digest is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base
from tocsin.domain.escalation_run import OPEN_STATES, RunState

#: A run that is not finished: the partial unique index's condition (one open run per
#: subject), which the statements inserting and finding open runs repeat by using it.
OPEN_RUN = text("state IN (" + ", ".join(f"'{state}'" for state in OPEN_STATES) + ")")


#: What an escalation run escalates (its ``subject_type``); ``subject_key`` names which.
ALERT_GROUP, INCIDENT, MANUAL = "alert_group", "incident", "manual"


class EscalationRun(Base):
    __tablename__ = "escalation_runs"
    __table_args__ = (
        # One open escalation per subject: concurrent starts cannot both insert.
        Index(
            "uq_escalation_runs_open_subject",
            "subject_type",
            "subject_key",
            unique=True,
            sqlite_where=OPEN_RUN,
            postgresql_where=OPEN_RUN,
        ),
        # The list's state filter in its order (id, newest first).
        Index("ix_escalation_runs_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: :data:`ALERT_GROUP`, :data:`INCIDENT` or :data:`MANUAL`.
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    incident_id: Mapped[int | None] = mapped_column(index=True)
    service: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    policy_name: Mapped[str] = mapped_column(String(200))
    #: The policy as it was when the run started (:meth:`Policy.snapshot`).
    policy: Mapped[dict[str, Any]]
    urgency: Mapped[str] = mapped_column(String(10))
    #: A :class:`~tocsin.domain.escalation_run.RunState`.
    state: Mapped[str] = mapped_column(String(20), default=RunState.ACTIVE.value)
    #: The step number due next (across repeats).
    step_index: Mapped[int] = mapped_column(default=0)
    step_token: Mapped[int] = mapped_column(default=0)
    next_step_at: Mapped[datetime | None]
    reached_somebody: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class EscalationEvent(Base):
    """The run's own timeline: every step, page, acknowledgement and why a step paged nobody."""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_runs.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


#: Page states.
PAGE_OPEN, PAGE_ACKNOWLEDGED, PAGE_CLOSED, PAGE_DEAD = "open", "acknowledged", "closed", "dead"


class Page(Base):
    __tablename__ = "pages"
    # The list's filters (state, user, both) each followed by its order (id).
    __table_args__ = (
        Index("ix_pages_user_state_id", "user_name", "state", "id"),
        Index("ix_pages_user_id", "user_name", "id"),
        # On-call load counts each person's pages over a period from this alone
        # (tocsin.metrics.oncall_load); migrations 0011 and 0019.
        Index("ix_pages_user_created", "user_name", "created_at", "run_id", "after_hours"),
        Index("ix_pages_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_runs.id", ondelete="CASCADE"), index=True
    )
    user_name: Mapped[str] = mapped_column(String(100))
    step_index: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    urgency: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=PAGE_OPEN)
    created_at: Mapped[datetime]
    #: Sent outside 08:00-18:00 Monday to Friday in the person's time zone at the time
    #: (:func:`tocsin.domain.metric_calendar.after_hours_in`), for on-call load.
    after_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None]
    #: Why the page is dead: every contact method failed, or there was none.
    dead_reason: Mapped[str | None] = mapped_column(Text)


#: Notification states.
(
    NOTIFY_PENDING,
    NOTIFY_HELD,
    NOTIFY_SENDING,
    NOTIFY_SENT,
    NOTIFY_SKIPPED,
    NOTIFY_FAILED,
) = ("pending", "held", "sending", "sent", "skipped", "failed")


class Notification(Base):
    """One contact method of one page, due at one instant."""

    __tablename__ = "page_notifications"
    __table_args__ = (
        Index("ix_page_notifications_method_sent", "user_name", "method_index", "sent_at"),
        Index("ix_page_notifications_method_state", "user_name", "method_index", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    user_name: Mapped[str] = mapped_column(String(100))
    method_index: Mapped[int]
    method_type: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default=NOTIFY_PENDING)
    #: Set when it went out, alone or in a bundle (what rate limits count).
    sent_at: Mapped[datetime | None]
    #: The notification whose message carried this one, when bundled.
    bundled_into: Mapped[int | None]
    #: Why it was skipped (acknowledged first, fallback...), for listings.
    note: Mapped[str | None] = mapped_column(Text)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("page_notifications.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int] = mapped_column(index=True)
    at: Mapped[datetime]
    provider: Mapped[str] = mapped_column(String(30))
    #: "sent" or "failed".
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    #: How many pages the message carried (more than one when bundled).
    pages: Mapped[int] = mapped_column(default=1)


class AckToken(Base):
    __tablename__ = "ack_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
