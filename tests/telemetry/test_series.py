"""Every documented series is in ``/metrics`` with its labels, and counts what really happened.

An alert posted to a real integration endpoint opens a group, the engine runs
the jobs that page its service's policy, one page is delivered to an HTTP sink
and one fails there; an incident is declared. The counters are compared
before and after, as they belong to the process and other tests count too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import integration, payload, quiet_client
from tests.conftest import Caller
from tests.paging.conftest import apply_files
from tests.support.sinks import HttpSink, http_sink
from tests.telemetry.support import Scrape, documented, recorded
from tocsin import __version__
from tocsin.alerts import handover
from tocsin.app.service import Tocsin
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import JobContext
from tocsin.kernel.clock import FakeClock
from tocsin.paging import jobs as paging_jobs
from tocsin.telemetry import instruments

PEOPLE = """
users:
  ann:
    email: ann@example.com
    contact_methods: [{{type: webhook, url: "{ann}"}}]
  bob:
    email: bob@example.com
    contact_methods: [{{type: webhook, url: "{bob}"}}]
teams:
  shop:
    members: [ann, bob]
escalation_policies:
  both:
    steps: [{{targets: [{{user: ann}}, {{user: bob}}], timeout_minutes: 5}}]
services:
  checkout:
    team: shop
    escalation_policy: both
"""


@dataclass(frozen=True)
class Nothing:
    """The payload of a test job."""


#: No handler is registered for it: its job is dead at its first run.
ORPHAN = JobKind("test.telemetry_orphan", Nothing)
#: Its handler does nothing: the job is done once it ran.
LATE = JobKind("test.telemetry_late", Nothing)


def nothing(_ctx: JobContext, _payload: Nothing) -> None:
    """Nothing to do: the job is done."""


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    with http_sink() as receiver:
        monkeypatch.setenv("TOCSIN_WEBHOOK_SECRET", "test-signing-secret")
        monkeypatch.setenv("TOCSIN_PUBLIC_URL", "https://tocsin.example.com")
        yield receiver


@pytest.fixture
def client(tocsin: Tocsin, sink: HttpSink, tmp_path: Path) -> Iterator[TestClient]:
    people = PEOPLE.format(ann=sink.url("/ann"), bob=sink.url("/bob"))
    apply_files(tocsin.database, tmp_path / "config", {"people.yaml": people}, tocsin.clock.now())
    with quiet_client(tocsin) as test_client:
        yield test_client


def scrape(client: TestClient, admin: Caller) -> Scrape:
    answer = client.get("/metrics", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(answer.text)


def test_every_documented_series_counts_real_work_with_its_labels(
    tocsin: Tocsin, client: TestClient, admin: Caller, sink: HttpSink
) -> None:
    before = scrape(client, admin)
    key = integration(client, admin, "prometheus", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    firing = payload("alertmanager_firing.json")  # two alerts
    assert client.post(url, json=firing).status_code == 202
    assert client.post(url, json=firing).status_code == 202  # the same two again
    unknown = client.post("/api/v1/integrations/no-such-key/alertmanager", json=firing)
    assert unknown.status_code == 404
    sink.failing["/bob"] = 410  # permanent: bob's only contact method fails
    tocsin.engine.run_until_idle()
    assert len(sink.received("/ann")) == 1
    declared = client.post(
        "/api/v1/incidents",
        json={"title": "Checkout down", "severity": "SEV-2", "services": ["checkout"]},
        headers=admin.headers,
    )
    assert declared.status_code == 201, declared.text
    drill = client.post(
        "/api/v1/incidents",
        json={"title": "Game day", "severity": "SEV-1", "drill": True},
        headers=admin.headers,
    )
    assert drill.status_code == 201, drill.text
    after = scrape(client, admin)

    for series in documented().values():
        assert series.family in after.families, f"{series.name} is missing"
        assert after.families[series.family].type == series.type, series.name
        assert after.label_names(series.family) == {series.labels}, series.name

    def delta(sample: str, **labels: str) -> float:
        return after.value(sample, **labels) - before.value(sample, **labels)

    received = "tocsin_alerts_received_total"
    assert delta(received, integration="prometheus", result="accepted") == 2
    assert delta(received, integration="prometheus", result="deduplicated") == 2
    assert delta(received, integration="", result="refused") == 1
    deliveries = "tocsin_page_deliveries_total"
    assert delta(deliveries, channel="webhook", result="sent") == 1
    assert delta(deliveries, channel="webhook", result="failed") == 1
    assert delta("tocsin_escalation_step_lateness_seconds_count") == 1
    opened = handover.OPENED.name
    assert delta("tocsin_job_lateness_seconds_count", kind=opened) >= 1
    assert delta("tocsin_job_lateness_seconds_count", kind=paging_jobs.DELIVER.name) == 2
    # One declared by the critical alerts' group (the default level), one through the API.
    assert after.value("tocsin_incidents_open", severity="SEV-2") == 2
    assert after.value("tocsin_incidents_open", severity="SEV-1") == 0  # a drill
    assert after.label_values("tocsin_incidents_open", "severity") >= {"SEV-3", "SEV-4"}
    # Both incidents were declared after the engine last ran: their declarations wait.
    assert after.value("tocsin_jobs", state="pending", kind="incident.declared") == 2
    # Bob's page died, so the admins were alarmed by email, which is not configured here.
    assert after.value("tocsin_jobs", state="dead", kind=paging_jobs.ALARM.name) == 1
    assert after.value("tocsin_jobs", state="dead", kind=opened) == 0

    duration = "tocsin_http_request_duration_seconds_count"
    inbound = "/api/v1/integrations/{key}/alertmanager"
    assert delta(duration, route=inbound, method="POST", status_class="2xx") == 2
    assert delta(duration, route=inbound, method="POST", status_class="4xx") == 1
    assert delta(duration, route="/api/v1/incidents", method="POST", status_class="2xx") == 2
    assert key not in after.text and "no-such-key" not in after.text
    assert after.value("tocsin_build_info", version=__version__) == 1


def test_job_lateness_is_observed_in_domain_time_and_dead_and_overdue_jobs_show(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    tocsin.registry.register(LATE, nothing)
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, LATE, Nothing(), now=clock.now())
        jobs.enqueue(session, ORPHAN, Nothing(), now=clock.now(), max_attempts=1)
    clock.advance(seconds=90)
    waiting = scrape(client, admin)
    assert waiting.value("tocsin_jobs_overdue_seconds") == 90
    assert waiting.value("tocsin_jobs", state="pending", kind=ORPHAN.name) == 1
    tocsin.engine.run_until_idle()
    done = scrape(client, admin)
    assert done.value("tocsin_jobs_overdue_seconds") == 0
    assert done.value("tocsin_jobs", state="pending", kind=ORPHAN.name) == 0
    assert done.value("tocsin_jobs", state="dead", kind=ORPHAN.name) == 1

    def delta(sample: str, **labels: str) -> float:
        return done.value(sample, kind=LATE.name, **labels) - waiting.value(
            sample, kind=LATE.name, **labels
        )

    assert delta("tocsin_job_lateness_seconds_bucket", le="60.0") == 0  # 90 s late
    assert delta("tocsin_job_lateness_seconds_bucket", le="300.0") == 1
    assert delta("tocsin_job_lateness_seconds_count") == 1
    assert delta("tocsin_job_lateness_seconds_sum") == 90


def test_a_lateness_before_the_due_time_counts_as_on_time() -> None:
    before = recorded()
    instruments.job_started("test.clock_skew", timedelta(seconds=-3))
    after = recorded()
    count, total = "tocsin_job_lateness_seconds_count", "tocsin_job_lateness_seconds_sum"
    skewed = "test.clock_skew"
    assert after.value(count, kind=skewed) == before.value(count, kind=skewed) + 1
    assert after.value(total, kind=skewed) == before.value(total, kind=skewed)
