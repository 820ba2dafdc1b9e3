"""Drafting a postmortem for an incident with 5,000 timeline entries.

Seeds one resolved SEV-2 whose timeline holds ``--entries`` entries (notes of
every kind, status and severity changes, role hand-overs, decisions, pages
and acknowledgements, corrections: see ``SHAPES``, about 30% of them may be
key), 100 linked alerts, 30 pages and 20 public updates, then measures,
``--repeat`` times each (after one unmeasured warm-up), in one transaction
rolled back after each round:

- ceiling: reading the incident's timeline rows with one bare SELECT (the
  least any draft must read), fetched as tuples;
- facts: gathering everything the draft is made from (:mod:`tocsin.postmortems.facts`);
- draft: the pure draft alone, over facts read once (:func:`tocsin.domain.postmortem_draft.draft`);
- create: what happens when the incident resolves (:func:`tocsin.postmortems.creation.create`):
  facts, draft, the row, its first version, the entry on the incident's
  timeline, the owner's reminder.

Each figure is a wall-time p95 in milliseconds beside the ceiling's, on each
backend. Target: create under 200 ms.

    .venv/bin/python bench/postmortems.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/postmortems.py --backends sqlite --repeat 10
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ingest_servers import postgres_reachable
from seeded import DEFAULT_POSTGRES, database
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert
from tocsin.app.service import Tocsin
from tocsin.domain.postmortem_draft import draft
from tocsin.incidents.tables import Incident, IncidentRoleHolder, IncidentService, TimelineRow
from tocsin.kernel.clock import FakeClock
from tocsin.paging.tables import EscalationRun, Page
from tocsin.postmortems import configured, creation, facts
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

TARGET_MS = 200.0
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: (kind, note_kind, details) of the entries, in turn: 20 shapes, of which 6 may be key (a
#: page, an acknowledgement, a decision, a status change, a hand-over, a severity change).
#: Most of a long incident's timeline is notes: what people saw and did, comms, paging.
SHAPES: list[tuple[str, str | None, dict[str, str]]] = [
    *[("note", "observation", {})] * 9,
    *[("note", "action", {"statuspage": "reminder"})] * 3,
    ("note", "action", {"paging": "paged", "escalation_run": "1"}),
    ("note", "action", {"paging": "acknowledged", "by": "responder-1"}),
    ("note", "decision", {}),
    ("status_change", None, {"from": "responding", "to": "mitigated"}),
    ("role_change", None, {"role": "scribe", "from": "responder-2", "to": "responder-3"}),
    ("severity_change", None, {"from": "SEV-2", "to": "SEV-1"}),
    ("field_change", None, {}),
    ("status_update", None, {}),
]


def seed(tocsin: Tocsin, entries: int) -> int:
    """The incident with its timeline, alerts, pages and public updates; its id."""
    end = START + timedelta(hours=6)
    with tocsin.database.transaction() as session:
        incident = Incident(
            title="Payments failing",
            summary="Card payments time out.",
            status="resolved",
            severity="SEV-2",
            created_by="bench",
            impact_started_at=START - timedelta(minutes=5),
            detected_at=START,
            declared_at=START,
            acknowledged_at=START + timedelta(minutes=3),
            mitigated_at=START + timedelta(hours=2),
            resolved_at=end,
            users_affected=12500,
            created_at=START,
            updated_at=end,
        )
        session.add(incident)
        session.flush()
        session.add(IncidentService(incident_id=incident.id, name="checkout"))
        session.add(
            IncidentRoleHolder(
                incident_id=incident.id,
                role="incident_commander",
                user_name="responder-1",
                assigned_at=START,
                assigned_by="bench",
            )
        )
        rows: list[dict[str, Any]] = []
        for number in range(1, entries + 1):
            kind, note_kind, details = SHAPES[number % len(SHAPES)]
            if number == 1:
                kind, note_kind, details = "declared", None, {}
            at = START + (end - START) * (number / entries)
            corrects = number - 3 if number % 97 == 0 else None
            rows.append(
                {
                    "incident_id": incident.id,
                    "sequence": number,
                    "kind": "correction" if corrects else kind,
                    "note_kind": note_kind if kind == "note" or corrects else None,
                    "text": f"Entry {number}: what the responders saw and did at this point.",
                    "author": f"responder-{number % 7}",
                    "recorded_at": at,
                    "occurred_at": at,
                    "corrects": corrects,
                    "details": details,
                }
            )
        session.execute(insert(TimelineRow), rows)
        session.execute(insert(Alert), [_alert(incident.id, n) for n in range(100)])
        run = EscalationRun(
            subject_type="incident",
            subject_key=str(incident.id),
            title="Payments failing",
            incident_id=incident.id,
            policy_name="bench",
            policy={},
            urgency="high",
            state="resolved",
            started_at=START,
            updated_at=end,
        )
        session.add(run)
        session.flush()
        session.add_all(
            Page(
                run_id=run.id,
                user_name=f"responder-{n % 7}",
                step_index=n // 7,
                title="Payments failing",
                urgency="high",
                state="closed",
                created_at=START + timedelta(minutes=n),
                acknowledged_at=START + timedelta(minutes=n + 2) if n % 3 == 0 else None,
            )
            for n in range(30)
        )
        public = PublicIncident(
            code="bench1",
            kind="incident",
            incident_id=incident.id,
            name="Checkout errors",
            status="resolved",
            impact="major",
            created_at=START,
            updated_at=end,
            started_at=START,
            last_update_at=end,
            created_by="bench",
        )
        session.add(public)
        session.flush()
        session.add_all(
            PublicUpdate(
                code=f"bench-u{n}",
                public_incident_id=public.id,
                status="investigating" if n < 19 else "resolved",
                body=f"Update {n}.",
                created_at=START + timedelta(minutes=15 * n),
                display_at=START + timedelta(minutes=15 * n),
                author="bench",
            )
            for n in range(20)
        )
        return incident.id


def _alert(incident_id: int, number: int) -> dict[str, Any]:
    at = START - timedelta(minutes=5) + timedelta(seconds=number)
    return {
        "service": "checkout",
        "dedup_key": f"bench-{number}",
        "status": "resolved",
        "severity": "critical",
        "summary": f"Pool exhausted on db-{number}",
        "integration": "bench",
        "source_type": "webhook",
        "urgency": "high",
        "incident_id": incident_id,
        "triggered_at": at,
        "last_event_at": at,
        "resolved_at": START + timedelta(hours=2),
    }


def rounds(tocsin: Tocsin, work: Callable[[Session], object], repeat: int) -> float:
    """p95 wall milliseconds of ``work`` in a transaction rolled back each time."""
    samples = []
    for attempt in range(repeat + 1):
        with tocsin.database.sessions() as session:
            started = time.perf_counter()
            work(session)
            session.flush()
            took = (time.perf_counter() - started) * 1000
            session.rollback()
        if attempt:
            samples.append(took)
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(tocsin: Tocsin, incident_id: int, repeat: int) -> dict[str, float]:
    def ceiling(session: Session) -> object:
        columns = select(TimelineRow.sequence, TimelineRow.text, TimelineRow.occurred_at)
        return session.execute(columns.where(TimelineRow.incident_id == incident_id)).all()

    def gathered(session: Session) -> object:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return facts.gather(session, incident)

    with tocsin.database.sessions() as session:
        known = gathered(session)
        sections = configured.sections(None)

    def drafted(session: Session) -> object:
        return draft(known, sections)  # type: ignore[arg-type]

    def created(session: Session) -> object:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return creation.create(
            session, incident, author="bench", now=tocsin.clock.now(), required=True
        )

    return {
        name: rounds(tocsin, work, repeat)
        for name, work in (
            ("ceiling", ceiling),
            ("facts", gathered),
            ("draft", drafted),
            ("create", created),
        )
    }


def run_backend(backend: str, args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory() as data,
        database(backend, Path(data), args.postgres, "postmortems") as settings,
    ):
        tocsin = Tocsin.open(settings, clock=FakeClock(START + timedelta(hours=7)))
        try:
            incident_id = seed(tocsin, args.entries)
            figures = measure(tocsin, incident_id, args.repeat)
        finally:
            tocsin.close()
    ceiling = figures["ceiling"]
    print(f"{backend}: p95 of {args.repeat} rounds, {args.entries:,} timeline entries")
    for name, value in figures.items():
        print(f"  {name:8} {value:8.1f} ms   {value / ceiling:6.1f}x the ceiling")
    verdict = "met" if figures["create"] < TARGET_MS else "missed"
    print(f"  create under {TARGET_MS:.0f} ms: {verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--postgres", default=os.environ.get("TOCSIN_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    for backend in args.backends.split(","):
        name = backend.strip()
        if name == "postgresql" and not postgres_reachable(args.postgres):
            print(f"postgresql: {args.postgres} is not reachable; skipped", flush=True)
            continue
        run_backend(name, args)


if __name__ == "__main__":
    main()
