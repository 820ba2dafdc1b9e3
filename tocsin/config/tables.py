"""The table of definitions: every object configuration as code (or the API) defines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class Definition(Base):
    """One object defined as code: a severity, role, team, schedule, policy...

    Definitions are documents keyed by (kind, name). ``spec`` holds the
    validated configuration; code that needs typed values parses it with the
    kind's Pydantic schema.
    """

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    #: Order among definitions of the same kind (severity levels are ordered).
    position: Mapped[int] = mapped_column(Integer, default=0)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    managed_by: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
