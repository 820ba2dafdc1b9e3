"""statuspage-prometheus-exporter reads example answers served from 127.0.0.1.

Each test serves one answer of ``summary.json`` from a small HTTP server of the standard
library, runs the exporter once against it (tests/statuspage/consumer.py) and reads the
gauges it wrote. What is served is first checked against the schema, so these tests also
show that an answer the schema accepts is one the exporter reads as meant.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.statuspage import examples
from tests.statuspage.consumer import SERVICE_NAME, SUMMARY_PATH, metric_key, scrape
from tests.statuspage.statuspage_v2 import check


class StatusServer:
    """Answers ``GET`` of the paths in ``answers`` with their JSON, anything else with 404."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requested.append(self.path)
                if self.path not in server.answers:
                    self.send_error(404)
                    return
                body = json.dumps(server.answers[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server = StatusServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join()


def component(name: str) -> str:
    return metric_key(
        "statuspage_component_status", {"component_name": name, "service_name": SERVICE_NAME}
    )


SERVICE_STATUS = metric_key("statuspage_service_status", {"service_name": SERVICE_NAME})
PROBE = metric_key("statuspage_probe_check", {"service_name": SERVICE_NAME})


def info(metrics: dict[str, float], name: str, id_label: str) -> dict[str, float]:
    """The samples of an info gauge by their id label, e.g. incident ids to values."""
    found: dict[str, float] = {}
    for key, value in metrics.items():
        if key.startswith(name + "{"):
            found[key.split(f'{id_label}="', 1)[1].split('"', 1)[0]] = value
    return found


def test_the_exporter_reads_the_documented_summary(status_server: StatusServer) -> None:
    summary = examples.documented(SUMMARY_PATH)
    check(SUMMARY_PATH, summary, "documented")
    status_server.answers[SUMMARY_PATH] = summary

    metrics = scrape(status_server.base_url)

    assert status_server.requested == [SUMMARY_PATH]
    assert metrics[PROBE] == 1
    assert metrics[SERVICE_STATUS] == 0  # indicator "major", an incident of impact "critical"
    assert metrics[component("API")] == 0  # partial_outage
    assert metrics[component("Management Portal")] == 0  # major_outage
    incidents = info(metrics, "statuspage_incident_info", "incident_id")
    assert incidents == {"cp306tmzcl0y": 1}
    incident_key = next(key for key in metrics if "cp306tmzcl0y" in key)
    assert 'impact="critical"' in incident_key
    assert 'incident_name="Unplanned Database Outage"' in incident_key
    assert 'shortlink="http://stspg.co:5000/Q0E"' in incident_key
    maintenances = info(metrics, "statuspage_maintenance_info", "maintenance_id")
    assert maintenances == {"w1zdr745wmfy": 1, "k7mf5z1gz05c": 1}


def test_the_exporter_reads_a_live_summary_with_everything_operational(
    status_server: StatusServer,
) -> None:
    summary = examples.live(SUMMARY_PATH)[0]
    check(SUMMARY_PATH, summary)
    status_server.answers[SUMMARY_PATH] = summary

    metrics = scrape(status_server.base_url)

    assert metrics[PROBE] == 1
    assert metrics[SERVICE_STATUS] == 1  # indicator "none", no incident
    names = [item["name"] for item in summary["components"]]
    assert {name: metrics[component(name)] for name in names} == dict.fromkeys(names, 1.0)
    assert info(metrics, "statuspage_incident_info", "incident_id") == {"none": 0}
    assert info(metrics, "statuspage_maintenance_info", "maintenance_id") == {"none": 0}


def test_the_exporter_reads_a_degraded_component_and_an_unresolved_incident(
    status_server: StatusServer,
) -> None:
    summary = examples.live(SUMMARY_PATH)[0]
    summary["status"] = {"indicator": "minor", "description": "Minor Service Outage"}
    summary["components"][1]["status"] = "degraded_performance"
    incident = examples.unresolved_incident()
    incident["page_id"] = summary["page"]["id"]
    incident["impact"] = "minor"
    summary["incidents"] = [incident]
    check(SUMMARY_PATH, summary)
    status_server.answers[SUMMARY_PATH] = summary

    metrics = scrape(status_server.base_url)

    assert metrics[SERVICE_STATUS] == 0
    assert metrics[component("Codespaces")] == 0
    assert metrics[component("Actions")] == 1
    assert info(metrics, "statuspage_incident_info", "incident_id") == {"2gztsrksff0v": 1}


def test_the_exporter_counts_a_missing_summary_as_a_failed_probe(
    status_server: StatusServer,
) -> None:
    metrics = scrape(status_server.base_url)

    assert status_server.requested == [SUMMARY_PATH]
    assert metrics[PROBE] == 0
    assert SERVICE_STATUS not in metrics
