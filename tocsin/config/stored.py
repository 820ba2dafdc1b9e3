"""Reading applied definitions back as typed values."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.desired import SEVERITY
from tocsin.config.schema import SeverityConfig
from tocsin.domain.severity import SeverityScale
from tocsin.store.tables import Definition


def severity_scale(session: Session) -> SeverityScale:
    """The applied severity levels, most severe first (rank = position in the file)."""
    rows = session.scalars(
        select(Definition).where(Definition.kind == SEVERITY).order_by(Definition.position)
    )
    return SeverityScale(
        SeverityConfig.model_validate(row.spec).to_level(rank) for rank, row in enumerate(rows)
    )
