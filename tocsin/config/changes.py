"""Telling the capabilities which definitions were written: a job queued with the writes.

Configuration knows no capability, yet some follow a definition's changes
(on-call plans again the handoffs of a schedule created or edited). Whatever
writes definitions (``tocsin config apply``, the definitions API) calls
:func:`announce` in the same transaction: it queues one
``config.definitions.written`` job naming them, and the composition root
registers what runs for it (:mod:`tocsin.app.definition_reactions`). Being a
job, it is followed whichever process wrote: a ``tocsin config apply`` run
from a shell is followed by the server that runs the jobs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tocsin.config.tables import Definition
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind


@dataclass(frozen=True)
class DefinitionsWritten:
    """Definitions created or changed at ``at``: their names by kind."""

    at: datetime
    definitions: dict[str, list[str]]


DEFINITIONS_WRITTEN = JobKind("config.definitions.written", DefinitionsWritten)


def announce(session: Session, rows: Sequence[Definition], now: datetime) -> None:
    """Queue the job telling that ``rows`` were written at ``now`` (nothing if none were).

    The job is keyed by the instant and what was written, so the same
    writes announced twice are followed once.
    """
    if not rows:
        return
    written: dict[str, list[str]] = {}
    for row in rows:
        written.setdefault(row.kind, []).append(row.name)
    content = json.dumps([[row.kind, row.name, row.spec] for row in rows], sort_keys=True)
    digest = hashlib.sha256(content.encode()).hexdigest()[:32]
    jobs.enqueue(
        session,
        DEFINITIONS_WRITTEN,
        DefinitionsWritten(at=now, definitions=written),
        now=now,
        idempotency_key=f"{DEFINITIONS_WRITTEN.name}:{now.astimezone(UTC).isoformat()}:{digest}",
    )
