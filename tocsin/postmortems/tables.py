"""Postmortem tables: the postmortem (its document as JSON) and its versions.

A postmortem belongs to one incident (``incident_id`` is unique). Its document
is kept whole in ``content`` (see :mod:`tocsin.domain.postmortem_document`);
``version`` counts its changes, and each change is a :class:`PostmortemVersion`
row saying who made it, when, and what it changed (field by field, before and
after). Versions are never edited or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
