"""Driving escalations in-process on a fake clock, and what each person received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.sinks import HttpSink, SmtpSink, handoff
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.auth.tables import User
from tocsin.domain.escalation import Urgency
from tocsin.domain.schedule import oncall_at
from tocsin.engine import jobs
from tocsin.kernel.clock import FakeClock
from tocsin.oncall import overrides
from tocsin.paging import runs, statements
from tocsin.paging.directory import Directory
from tocsin.paging.tables import EscalationEvent, EscalationRun

#: Where each test person's messages arrive: (sink path or None, email address or None).
DEVICES = {
    "engineer-a": ("/a", "a@example.com"),
    "engineer-b": ("/b", None),
    "engineer-c": (None, "c@example.com"),
    "lead": ("/lead", None),
}


@dataclass
class Harness:
    tocsin: Tocsin
    clock: FakeClock
    sink: HttpSink
    smtp: SmtpSink

    def start(
        self,
        key: str = "1",
        title: str = "Database down",
        *,
        policy: str = "on-call-schedule",
        urgency: Urgency = Urgency.HIGH,
        service: str | None = "api",
    ) -> int:
        with self.tocsin.database.transaction() as session:
            run = runs.start(
                session,
                subject_type="manual",
                subject_key=key,
                title=title,
                policy_name=policy,
                urgency=urgency,
                now=self.clock.now(),
                service=service,
            )
            run_id = run.id
        self.settle()
        return run_id

    def acknowledge(self, run_id: int, by: str) -> None:
        with self.tocsin.database.transaction() as session:
            run = statements.lock_run(session, run_id)
            assert run is not None
            assert runs.acknowledge(session, run, by, self.clock.now())
        self.settle()

    def resolve(self, run_id: int) -> None:
        with self.tocsin.database.transaction() as session:
            run = statements.lock_run(session, run_id)
            assert run is not None
            assert runs.resolve(session, run, "test", self.clock.now())
        self.settle()

    def override(self, layer: str, user: str, *, hours: float) -> None:
        now = self.clock.now()
        with self.tocsin.database.transaction() as session:
            overrides.create(
                session,
                "on-call-schedule",
                layer=layer,
                user=user,
                start=now,
                end=now + timedelta(hours=hours),
                reason="covering",
                actor="root",
                admin=True,
                force=True,
                now=now,
                remote_addr=None,
            )

    def settle(self) -> None:
        self.tocsin.engine.run_until_idle()

    def advance(self, **delta: float) -> None:
        """Move time forward, stopping at each job's due time to run what falls due."""
        end = self.clock.now() + timedelta(**delta)
        while True:
            self.settle()
            with self.tocsin.database.sessions() as session:
                due = jobs.next_due(session)
            if due is None or due > end:
                break
            self.clock.set(max(due, self.clock.now()))
        self.clock.set(end)
        self.settle()

    def on_call(self, layer: str, at: datetime | None = None) -> str:
        instant = at or self.clock.now()
        with self.tocsin.database.sessions() as session:
            schedule = Directory(session).schedule("on-call-schedule", instant)
        assert schedule is not None
        found = {each.layer: each.person for each in oncall_at(schedule, instant)}
        person = found[layer]
        assert person is not None
        return person

    def received(self) -> dict[str, int]:
        """How many messages each person got, over every device (handoff reports aside)."""
        counts: dict[str, int] = {}
        for person, (path, address) in DEVICES.items():
            total = len([r for r in self.sink.received(path) if not handoff(r)]) if path else 0
            total += len([e for e in self.smtp.to(address) if not handoff(e)]) if address else 0
            if total:
                counts[person] = total
        return counts

    def run(self, run_id: int) -> EscalationRun:
        with self.tocsin.database.sessions() as session:
            found = session.get(EscalationRun, run_id)
            assert found is not None
            return found

    def events(self, run_id: int) -> list[str]:
        with self.tocsin.database.sessions() as session:
            rows = session.scalars(
                select(EscalationEvent)
                .where(EscalationEvent.run_id == run_id)
                .order_by(EscalationEvent.id)
            )
            return [row.kind for row in rows]

    def pages(self) -> list[dict[str, Any]]:
        """Every page as the API lists it, oldest first."""
        with TestClient(create_app(self.tocsin, start_engine=False)) as client:
            response = client.get("/api/v1/pages", headers=self.admin_headers())
        assert response.status_code == 200, response.text
        pages: list[dict[str, Any]] = response.json()
        return pages[::-1]

    def admin_headers(self) -> dict[str, str]:
        with self.tocsin.database.transaction() as session:
            user = session.scalar(select(User).where(User.name == "root"))
            assert user is not None
            _, plain = accounts.create_token(session, user, now=self.clock.now(), actor="test")
        return {"Authorization": f"Bearer {plain}"}

    def last_message_link(self, person: str) -> str:
        path, address = DEVICES[person]
        if path is not None:
            pages = self.sink.received(path)[-1].json()["pages"]
            link: str = pages[0]["ack_url"]
            return link
        assert address is not None
        body = self.smtp.to(address)[-1].body
        return next(line.split(": ", 1)[1] for line in body.splitlines() if "/ack/" in line)

    def ack_link(self, link: str) -> int:
        """Follow an acknowledge link as a person would: open it, then press the button."""
        path = link.split("://", 1)[1].split("/", 1)[1]
        with TestClient(create_app(self.tocsin, start_engine=False)) as client:
            shown = client.get(f"/{path}")
            if shown.status_code != 200:
                return shown.status_code
            assert "Acknowledge" in shown.text
            return client.post(f"/{path}").status_code

    def event_texts(self, run_id: int) -> list[str]:
        with self.tocsin.database.sessions() as session:
            rows = session.scalars(
                select(EscalationEvent)
                .where(EscalationEvent.run_id == run_id)
                .order_by(EscalationEvent.id)
            )
            return [row.text for row in rows]
