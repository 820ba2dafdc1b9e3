"""The engine, ingest and the API recover by themselves once the database takes writes again.

An outage (:mod:`tests.support.faults`: an SQLite disk that cannot be
written, a PostgreSQL server that restarts) must not need a restart of
Tocsin: while it lasts ``/readyz`` says why Tocsin is not ready and writes
are answered 503; once it is over, the page that was waiting goes out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller, make_caller
from tests.paging.conftest import apply_files
from tests.support.faults import Fault, ServerDown, advance_until, faultable_tocsin
from tests.support.processes import wait_for
from tests.support.sinks import HttpSink, http_sink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock

#: Real threads run the engine here: how long a test waits for them (real seconds).
WAIT = 30


def people(sink: HttpSink) -> str:
    return f"""
users:
  oncall:
    email: oncall@example.com
    contact_methods:
      - {{type: webhook, url: "{sink.url("/oncall")}"}}
escalation_policies:
  oncall-only:
    steps: [{{targets: [{{user: oncall}}], timeout_minutes: 5}}]
services:
  api: {{escalation_policy: oncall-only}}
alert_policies:
  "*": {{group_by: ["..."]}}
"""


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    with http_sink() as receiver:
        monkeypatch.setenv("TOCSIN_WEBHOOK_SECRET", "test-signing-secret")
        monkeypatch.setenv("TOCSIN_PUBLIC_URL", "https://tocsin.example.com")
        monkeypatch.setenv("TOCSIN_DELIVERY_TIMEOUT", "5")
        yield receiver


@pytest.fixture
def down(backend: str, tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Tocsin, Fault]]:
    with faultable_tocsin(backend, tmp_path / "db", clock) as opened:
        yield opened


def pages(sink: HttpSink) -> list[dict[str, Any]]:
    return [r.json() for r in sink.received("/oncall") if r.json()["event"] == "page"]


def trigger(api: TestClient, key: str, dedup: str) -> int:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": f"{dedup} is down", "source": "host", "severity": "critical"},
    }
    return api.post("/v2/enqueue", json=event).status_code


def integration(
    api: TestClient, tocsin: Tocsin, tmp_path: Path, sink: HttpSink
) -> tuple[str, Caller]:
    """Paging configured to the sink; a PagerDuty integration key for ``api`` and an admin."""
    now = tocsin.clock.now()
    apply_files(
        tocsin.database, tmp_path / "config", {"people.yaml": people(sink)}, now, seeds=False
    )
    admin = make_caller(tocsin, "ada", "admin")
    made = api.post(
        "/api/v1/integrations",
        json={"name": "pd", "service": "api", "type": "pagerduty"},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    key: str = made.json()["key"]
    return key, admin


def test_a_page_waiting_through_an_outage_goes_out_when_it_ends(
    down: tuple[Tocsin, Fault],
    sink: HttpSink,
    clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tocsin, outage = down
    engine = tocsin.engine
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as api:
        key, admin = integration(api, tocsin, tmp_path, sink)
        # A critical alert is committed; the outage begins before the engine pages anyone.
        assert trigger(api, key, "checkout") == 202
        outage.begin()
        tocsin.start()
        wait_for(lambda: engine.failing is not None, timeout=WAIT, what="a failed cycle")
        answer = api.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["engine"] == "failing"
        reasons = answer.json()["reasons"]
        assert any(r.startswith("job engine cannot commit: OperationalError") for r in reasons)
        # Writes are refused with 503 (retry), never 500.
        assert trigger(api, key, "payments") == 503
        declared = api.post("/api/v1/incidents", json={"title": "x"}, headers=admin.headers)
        assert declared.status_code == 503, declared.text
        assert declared.headers["Retry-After"]
        assert pages(sink) == []

        outage.end()
        advance_until(clock, engine.poll, lambda: len(pages(sink)) == 1, "the page")
        assert engine.failing is None
        assert "checkout is down" in pages(sink)[0]["subject"]
        assert trigger(api, key, "payments") == 202
        wait_for(lambda: len(pages(sink)) == 2, timeout=WAIT, what="the next page")
        wait_for(lambda: api.get("/readyz").status_code == 200, timeout=WAIT, what="ready")
    # The outage and its end are logged once each, and nothing else is, however many cycles failed.
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name == "tocsin.engine" and r.levelno >= logging.WARNING
    ]
    assert len(logged) == 2, logged
    assert logged[0].startswith("job engine cannot commit: ")
    assert logged[1].startswith("job engine recovered: it commits again after ")


def test_a_postgresql_restart_between_requests_goes_unnoticed(
    down: tuple[Tocsin, Fault], sink: HttpSink, tmp_path: Path
) -> None:
    """Every pooled connection is dead after a restart: each is checked before
    use (pool_pre_ping) and replaced, so no request and no engine cycle fails."""
    tocsin, outage = down
    if not isinstance(outage, ServerDown):
        pytest.skip("a PostgreSQL restart")
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as api:
        key, admin = integration(api, tocsin, tmp_path, sink)
        assert api.get("/api/v1/jobs", headers=admin.headers).status_code == 200
        assert outage.restart() > 0
        assert api.get("/api/v1/jobs", headers=admin.headers).status_code == 200
        assert trigger(api, key, "checkout") == 202
        outage.restart()
        assert tocsin.engine.run_until_idle() > 0
    assert len(pages(sink)) == 1
