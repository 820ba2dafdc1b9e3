"""A thousand email subscribers, one mail each, across a SIGKILL of ``tocsin serve``.

The SMTP server here accepts the first :data:`ACCEPTED_BEFORE_KILL` mails,
then holds every other one before answering. Once a send is held (so the
server is killed while delivering, with a send in flight), the test kills the
server with SIGKILL, answers the held sends' dead connections with a
temporary failure (they were never accepted), opens the gate and starts a
second server. Afterwards every subscriber has exactly one mail and every
delivery is logged as sent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from tests.paging.conftest import apply_files
from tests.support import processes
from tests.support.databases import backends, database_url
from tocsin.auth import accounts
from tocsin.db import migrate
from tocsin.db.database import Database
from tocsin.engine.tables import Job
from tocsin.kernel.settings import Settings
from tocsin.statuspage import subscriber_links, subscribers
from tocsin.statuspage.subscribers import NewSubscriber
from tocsin.statuspage.tables import Delivery

pytestmark = pytest.mark.slow

SUBSCRIBERS = 1000
ACCEPTED_BEFORE_KILL = 300
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONFIG = """
status_page:
  title: Acme status
  components:
    - {name: Checkout}
"""


class GatedInbox:
    """Accepts ``open_for`` mails, then holds each DATA until :meth:`release`."""

    def __init__(self, open_for: int) -> None:
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.open_for = open_for
        self.mails: list[tuple[tuple[str, ...], Message]] = []
        self.held = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        with self.lock:
            if len(self.mails) < self.open_for:
                self.mails.append((tuple(envelope.rcpt_tos), message_from_bytes(content)))
                return "250 Message accepted"
            self.held += 1
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        return "451 4.3.0 Try again later"

    def release(self) -> None:
        """Answer the held sends with a temporary failure; accept everything from now on."""
        with self.lock:
            self.open_for = 10**9
        self.gate.set()

    def received(self) -> list[tuple[tuple[str, ...], Message]]:
        with self.lock:
            return list(self.mails)


@contextmanager
def gated_smtp(open_for: int) -> Iterator[tuple[GatedInbox, int]]:
    inbox = GatedInbox(open_for)
    port = processes.free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.gate.set()
        controller.stop()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = processes.free_port()
    process = processes.start(["serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    processes.wait_for(
        lambda: _healthy(base) or process.poll() is not None, timeout=120, what="the server"
    )
    assert process.poll() is None, f"the server did not start; see {log}"
    return process, base


def seed(database: Database, settings: Settings) -> str:
    """A thousand confirmed email subscribers, and an admin's token."""
    key = subscriber_links.link_key(settings)
    with database.transaction() as session:
        for n in range(SUBSCRIBERS):
            new = NewSubscriber("email", f"reader{n}@example.com", confirmed=True)
            subscribers.add(session, new, key, NOW)
        user = accounts.create_user(
            session, now=NOW, actor="test", name="ada", email="ada@example.com", role="admin"
        )
        _, token = accounts.create_token(session, user, now=NOW, actor="test")
    return token


def publish(base: str, token: str) -> None:
    """Declare an incident and publish it through the server's API: subscribers are told."""
    headers = {"Authorization": f"Bearer {token}"}
    declared = httpx.post(
        f"{base}/api/v1/incidents",
        json={"title": "Payments failing", "severity": "SEV-1"},
        headers=headers,
    )
    assert declared.status_code == 201, declared.text
    published = httpx.post(
        f"{base}/api/v1/incidents/{declared.json()['reference']}/publish",
        json={
            "name": "Checkout errors",
            "body": "We are investigating failed payments.",
            "components": {"Checkout": "major_outage"},
        },
        headers=headers,
    )
    assert published.status_code == 201, published.text


def statuspage_jobs_left(database: Database) -> int:
    with database.sessions() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    Job.kind.like("statuspage.%"), Job.state.in_(("pending", "running"))
                )
            )
            or 0
        )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", backends())
def test_a_thousand_subscribers_get_one_mail_each_across_a_sigkill(
    backend: str, tmp_path: Path
) -> None:
    with database_url(backend, tmp_path) as url, gated_smtp(ACCEPTED_BEFORE_KILL) as (inbox, port):
        settings = Settings.load(data_dir=tmp_path, database_url=url)
        database = Database(settings)
        migrate.upgrade(database.engine)
        apply_files(database, tmp_path / "config", {"org.yaml": CONFIG}, NOW, seeds=False)
        env = processes.environment(
            url,
            tmp_path,
            TOCSIN_HANDLER_MODULES="",
            TOCSIN_MAIL_HOST="127.0.0.1",
            TOCSIN_MAIL_PORT=str(port),
            TOCSIN_PUBLIC_URL="https://status.acme.example",
            TOCSIN_JOB_LEASE_SECONDS="3",
        )
        env.pop("TOCSIN_DELIVERY", None)
        try:
            token = seed(database, settings)
            first, base = serve(env, tmp_path / "first.log")
            publish(base, token)
            processes.wait_for(lambda: inbox.held > 0, timeout=180, what="a send in flight")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
            accepted_before_kill = len(inbox.received())
            inbox.release()
            second, _ = serve(env, tmp_path / "second.log")
            try:
                processes.wait_for(
                    lambda: (
                        len(inbox.received()) >= SUBSCRIBERS and statuspage_jobs_left(database) == 0
                    ),
                    timeout=300,
                    what="every subscriber's mail",
                )
            finally:
                processes.stop(second)
            with database.sessions() as session:
                states = Counter(session.scalars(select(Delivery.state)).all())
        finally:
            database.dispose()
    assert accepted_before_kill == ACCEPTED_BEFORE_KILL, "the kill came during delivery"
    mails = inbox.received()
    per_address = Counter(address for to, _ in mails for address in to)
    assert len(per_address) == SUBSCRIBERS
    twice = sorted(address for address, count in per_address.items() if count > 1)
    assert twice == [], "exactly one mail per subscriber"
    assert len({str(message["Message-ID"]) for _, message in mails}) == SUBSCRIBERS
    assert all(
        str(m["Subject"]) == "[Acme status] Checkout errors: Investigating" for _, m in mails
    )
    assert states == {"sent": SUBSCRIBERS}
