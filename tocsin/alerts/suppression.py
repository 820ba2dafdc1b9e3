"""Whether something holds an alert's paging back now: a silence or a maintenance window.

Ingest asks once per new alert, so the silences not yet ended are read once
per transaction (one prepared statement) and filtered by each caller's time.
Flapping, the third hold, is decided from the alert's own history
(:mod:`tocsin.alerts.triggers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.alerts import statements
from tocsin.alerts.writer import Writer
from tocsin.domain.matchers import parse_all
from tocsin.domain.silences import Silence, Suppression, suppression

_UNEXPIRED = "tocsin.alerts.unexpired_silences"


def active_silences(session: Session, now: datetime) -> list[Silence]:
    """Silences in force at ``now``, reading the table once per transaction however many ask.

    Silences not yet ended are read on first use; later calls in the same
    transaction filter them by their own ``now``.
    """
    transaction = session.get_transaction()
    cached = session.info.get(_UNEXPIRED)
    if cached is None or cached[0] is not transaction or now < cached[1]:
        rows = statements.unexpired_silences(session.connection(), now)
        found = [Silence(key, parse_all(texts), starts, ends) for key, texts, starts, ends in rows]
        cached = (transaction, now, found)
        session.info[_UNEXPIRED] = cached
    return [silence for silence in cached[2] if silence.active(now)]


def held(writer: Writer, match: Mapping[str, str], service: str) -> Suppression | None:
    """The silence or maintenance window holding back an alert with labels ``match``, if any."""
    return suppression(
        active_silences(writer.session, writer.now),
        writer.alerting.maintenance_windows,
        match,
        service,
        writer.now,
    )
