"""The demo pages out of the box: deliveries go to the outbox, which the CLI and console show.

The issue's acceptance test, on a real ``tocsin serve --demo``: one PagerDuty
Events v2 trigger with the demo key printed at start, and the page to the
on-call person is in ``tocsin outbox list``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import processes
from tocsin.app.demo import KEY_FILE, PASSWORD_FILE, load_demo
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine import jobs
from tocsin.notify import outbox
from tocsin.paging.tables import DeliveryAttempt, Notification

TRIGGER = {
    "event_action": "trigger",
    "payload": {"summary": "Checkout is failing", "source": "demo", "severity": "critical"},
}


def _log_in(client: TestClient, user: str, password: str) -> None:
    form = client.get("/login")
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    """The API without its engine: the test runs the jobs itself."""
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def test_demo_page_lands_in_the_outbox_and_counts_as_sent(
    tocsin: Tocsin, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    for name in ("TOCSIN_MAIL_HOST", "TOCSIN_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    lines = load_demo(tocsin)
    assert any("/outbox" in line for line in lines)
    key = (tocsin.settings.data_dir / KEY_FILE).read_text().strip()

    answer = client.post("/v2/enqueue", json={"routing_key": key, **TRIGGER})
    assert answer.status_code == 202
    tocsin.engine.run_until_idle()

    with tocsin.database.sessions() as session:
        pages = outbox.listing(session, kind="page")
        assert jobs.count_by_state(session)["dead"] == 0
        notification = session.query(Notification).one()
        attempt = session.query(DeliveryAttempt).one()
    # Monday 09:00 UTC: alice holds the europe layer of payments-oncall.
    assert [(m.user_name, m.channel, m.address) for m in pages] == [
        ("alice", "email", "alice@example.com")
    ]
    assert "Checkout is failing" in pages[0].subject
    assert "/ack/[token hidden]" in pages[0].body
    assert (notification.state, attempt.provider, attempt.status) == ("sent", "outbox", "sent")

    console = client.get("/", follow_redirects=False)
    assert console.status_code == 303, "the outbox page needs a login"
    assert client.get("/outbox", follow_redirects=False).status_code == 303
    password = (tocsin.settings.data_dir / PASSWORD_FILE).read_text().strip()
    _log_in(client, "alice", password)
    assert 'href="/outbox"' in client.get("/").text
    page = client.get("/outbox").text
    assert "Checkout is failing" in page and "alice@example.com" in page
    assert "<script>" not in page, "no inline script"


@pytest.mark.slow
def test_serve_demo_pages_into_the_outbox(tmp_path: Path) -> None:
    port = processes.free_port()
    data_dir = tmp_path / "demo"
    url = f"sqlite:///{data_dir / 'tocsin.db'}"
    env = processes.environment(url, data_dir)
    for name in ("TOCSIN_DELIVERY", "TOCSIN_MAIL_HOST", "TOCSIN_WEBHOOK_SECRET"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    server = processes.start(["serve", "--demo", "--port", str(port)], env, log)
    with processes.running([server]):

        def printed_command() -> bool:
            return "curl -X POST" in log.read_text()

        processes.wait_for(printed_command, timeout=60, what="the demo's curl command")
        command = next(line for line in log.read_text().splitlines() if "curl -X POST" in line)
        words = shlex.split(command)
        assert words[:3] == ["curl", "-X", "POST"]
        target, body = words[3], words[words.index("-d") + 1]
        assert target == f"http://127.0.0.1:{port}/v2/enqueue"

        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
            except httpx.TransportError:
                return False

        processes.wait_for(ready, timeout=30, what="/readyz to answer 200")
        answer = httpx.post(target, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 202, answer.text

        listed = ""

        def paged() -> bool:
            nonlocal listed
            result = subprocess.run(
                [*processes.TOCSIN, "outbox", "list", "--kind", "page"],
                env={**env, "COLUMNS": "250"},
                capture_output=True,
                text=True,
                check=True,
                cwd=processes.REPO,
            )
            listed = result.stdout
            return "Checkout is failing" in listed

        processes.wait_for(paged, timeout=60, what="the page in `tocsin outbox list`")
    row = next(line for line in listed.splitlines() if "Checkout is failing" in line)
    # Whoever is on call now (the demo follows the sun), by email, to their address.
    assert re.search(r"page\s+│?\s*(alice|bruno|chen|dana)\b.*email.*@example\.com", row), row
    assert "dead" not in log.read_text()
