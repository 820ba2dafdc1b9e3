"""Status page tables: component statuses and their history, public incidents, subscribers.

Configuration defines which components exist (``status_page_component``
definitions); ``status_components`` holds each one's current public status
and the status Tocsin proposes from open incidents, and
``status_component_history`` every public change, from which the 90-day bars
are computed and which webhook subscribers are told about one by one. Public
incidents and maintenance are one table, as in Statuspage's API: maintenance
has ``scheduled_for`` and ``scheduled_until``.
A public update is never edited once posted; a correction is another update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class ComponentState(Base):
    """A component's public status (what open incidents suggest is computed when read)."""

    __tablename__ = "status_components"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: tocsin.statuspage.config_schema.ComponentStatus
    status: Mapped[str] = mapped_column(String(30))
    changed_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ComponentStatusChange(Base):
    """A component's public status from ``started_at`` until its next change."""

    __tablename__ = "status_component_history"
    __table_args__ = (Index("ix_status_component_history_component", "component", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime]
    public_incident_id: Mapped[int | None] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(100))


class PublicIncident(Base):
    """An incident or a maintenance as the public sees it."""

    __tablename__ = "public_incidents"
    __table_args__ = (
        Index("ix_public_incidents_kind_created", "kind", "created_at", "id"),
        Index("ix_public_incidents_kind_status", "kind", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public identifier (Statuspage's ``id``), also the page's address.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: incident or maintenance
    kind: Mapped[str] = mapped_column(String(20))
    #: The Tocsin incident it tells about (None for maintenance and backfills without one).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: investigating, identified, monitoring, resolved, postmortem (incidents);
    #: scheduled, in_progress, verifying, completed (maintenance)
    status: Mapped[str] = mapped_column(String(20))
    #: none minor major critical (incidents); maintenance
    impact: Mapped[str] = mapped_column(String(20))
    #: The names of the affected components, in page order.
    components: Mapped[list[Any]] = mapped_column(default=list)
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime]
    monitoring_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime]
    scheduled_for: Mapped[datetime | None]
    scheduled_until: Mapped[datetime | None]
    #: Maintenance starts and completes on its own at those times.
    auto_transition: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    #: The public version of its postmortem, once made public (Statuspage's
    #: ``postmortem_body``, in Markdown), and the same rendered as HTML for its page.
    postmortem_body: Mapped[str | None] = mapped_column(Text)
    postmortem_html: Mapped[str | None] = mapped_column(Text)
    postmortem_title: Mapped[str | None] = mapped_column(String(300))
    postmortem_published_at: Mapped[datetime | None]
    postmortem_updated_at: Mapped[datetime | None]
    #: When subscribers were told of its postmortem (Statuspage's
    #: ``postmortem_notified_subscribers``): once at most, kept if it is withdrawn.
    postmortem_notified_at: Mapped[datetime | None]


class PublicUpdate(Base):
    """One update of a public incident; never edited."""

    __tablename__ = "public_updates"
    __table_args__ = (Index("ix_public_updates_incident", "public_incident_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    public_incident_id: Mapped[int] = mapped_column(ForeignKey("public_incidents.id"))
    status: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    #: [{"code": component, "name": component, "old_status": ..., "new_status": ...}]
    affected_components: Mapped[list[Any]] = mapped_column(default=list)
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    #: When it happened: the past for a backfilled update.
    display_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(100))


class Subscriber(Base):
    """Someone told about public updates: an email address, a webhook, Slack or Teams.

    ``page`` is the slug of the page subscribed to (the main page: empty);
    ``components`` narrows it to some of that page's components. An email
    subscriber is told nothing until ``confirmed_at`` (double opt-in);
    subscribers an admin creates for a URL are confirmed at once. Links in
    messages carry a secret derived from the subscriber's code (see
    :mod:`tocsin.statuspage.subscriber_links`); only its SHA-256 is stored.
    """

    __tablename__ = "status_subscribers"
    __table_args__ = (
        UniqueConstraint("page", "channel", "address"),
        Index("ix_status_subscribers_channel", "channel", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: The slug of the page subscribed to; "" for the main page.
    page: Mapped[str] = mapped_column(String(40), default="")
    #: email, webhook, slack or teams
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(500))
    #: Component names, or None for every component of the page.
    components: Mapped[list[Any] | None] = mapped_column(default=None)
    #: The email told when a webhook is disabled.
    owner_email: Mapped[str | None] = mapped_column(String(320))
    #: SHA-256 of the secret in the confirm, manage and unsubscribe links.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    #: Failed delivery attempts in a row (a success resets it), and since when.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None]


#: A delivery's subject: exactly one of these (migration 0020).
ONE_SUBJECT = (
    "(CASE WHEN update_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN component_change_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN postmortem_of IS NULL THEN 0 ELSE 1 END) = 1"
)


class Delivery(Base):
    """One update, one component status change or one postmortem, told to one subscriber.

    Exactly one of ``update_id``, ``component_change_id`` and ``postmortem_of``
    is set: an incident update (every channel), a component's change (webhooks
    only, Statuspage's ``component_update``) or the postmortem of a public
    incident (every channel). At most one row per subscriber and each, so at
    most one message.
    """

    __tablename__ = "status_deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "update_id"),
        UniqueConstraint("subscriber_id", "component_change_id"),
        UniqueConstraint("subscriber_id", "postmortem_of"),
        Index("ix_status_deliveries_update", "update_id", "id"),
        Index("ix_status_deliveries_component_change", "component_change_id", "id"),
        Index("ix_status_deliveries_postmortem", "postmortem_of", "id"),
        Index("ix_status_deliveries_subscriber", "subscriber_id", "id"),
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("status_subscribers.id"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("public_updates.id"))
    component_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_component_history.id")
    )
    #: The public incident whose postmortem it tells.
    postmortem_of: Mapped[int | None] = mapped_column(ForeignKey("public_incidents.id"))
    #: queued, sending, sent, failed or skipped (the subscriber was disabled meanwhile)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
