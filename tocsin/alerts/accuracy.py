"""Alert accuracy: what the resolved groups of each rule turned out to be, noisiest first.

A resolved group's ``outcome`` says whether it became an incident, was
acknowledged, or was noise (:func:`tocsin.domain.grouping.outcome`); the
report counts them per service and rule and ranks the rules by precision
(:func:`tocsin.domain.grouping.rank_noisy`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import AlertGroup
from tocsin.domain.grouping import AccuracyRow, Outcome, rank_noisy


def _count(outcome: Outcome) -> Any:
    return func.sum((AlertGroup.outcome == outcome.value).cast(Integer))


_PER_RULE = (
    select(
        AlertGroup.service,
        AlertGroup.rule,
        func.count(),
        _count(Outcome.INCIDENT),
        _count(Outcome.ACKNOWLEDGED),
        _count(Outcome.NOISE),
    )
    .where(AlertGroup.status == "resolved")
    .group_by(AlertGroup.service, AlertGroup.rule)
)


def report(
    session: Session, *, since: datetime | None = None, service: str | None = None
) -> list[AccuracyRow]:
    """Per service and rule, the resolved groups opened at or after ``since``; noisiest first."""
    query = _PER_RULE
    if since is not None:
        query = query.where(AlertGroup.opened_at >= since)
    if service is not None:
        query = query.where(AlertGroup.service == service)
    rows = [
        AccuracyRow(svc, rule, int(n), int(inc or 0), int(ack or 0), int(noise or 0))
        for svc, rule, n, inc, ack, noise in session.execute(query)
    ]
    return rank_noisy(rows)
