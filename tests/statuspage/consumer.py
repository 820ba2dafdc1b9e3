"""A real consumer of the public v2 status API: statuspage-prometheus-exporter (PyPI).

The exporter polls a page's ``/api/v2/summary.json`` and turns it into Prometheus
gauges (service status from ``status.indicator`` and the incidents' ``impact``, one gauge
per component from its ``status``, info gauges for active incidents and maintenances).
``scrape`` runs the exporter's own one-shot mode (``RUN_MODE=once``: poll every
configured service once, write the gauges to a Prometheus text file, exit) against
``base_url`` and returns what it wrote.

The exporter keeps its state in the process and the working directory: it reads
``services.json`` when its modules are imported, and writes ``cache/`` (last answers,
uptime history) under the working directory. So it runs in a child process, in a fresh
temporary directory, with the environment it documents: ``SERVICES_JSON_PATH``,
``METRICS_TEXTFILE_PATH``, ``RUN_MODE``; ``SLACK_WEBHOOK_URL`` empty so that it posts
nowhere; ``NO_PROXY`` for the loopback addresses that the tests serve on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

SERVICE_NAME = "Tocsin"
SERVICE_KEY = "tocsin"
SUMMARY_PATH = "/api/v2/summary.json"
TIMEOUT_SECONDS = 120


def metric_key(name: str, labels: dict[str, str]) -> str:
    """``name{label="value",...}`` with the labels sorted: the keys of ``scrape``'s answer."""
    inside = ",".join(f'{key}="{labels[key]}"' for key in sorted(labels))
    return f"{name}{{{inside}}}"


def _environment(services: Path, textfile: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().endswith("_PROXY") and key != "SLACK_WEBHOOK_URL"
    }
    environment.update(
        RUN_MODE="once",
        SERVICES_JSON_PATH=str(services),
        METRICS_TEXTFILE_PATH=str(textfile),
        SLACK_WEBHOOK_URL="",
        CLEAR_CACHE="true",
        NO_PROXY="127.0.0.1,localhost,::1",
        PYTHONUNBUFFERED="1",
    )
    return environment


def scrape(base_url: str) -> dict[str, float]:
    """Run the exporter once against ``base_url`` (``http://127.0.0.1:PORT``).

    Answers every sample of the exporter's ``statuspage_*`` metrics, keyed by
    ``metric_key``. Raises ``RuntimeError`` with the exporter's log if it fails.
    """
    with tempfile.TemporaryDirectory(prefix="statuspage-exporter-") as directory:
        work = Path(directory)
        services = work / "services.json"
        textfile = work / "metrics" / "statuspage.prom"
        url = base_url.rstrip("/") + SUMMARY_PATH
        services.write_text(json.dumps({SERVICE_KEY: {"url": url, "name": SERVICE_NAME}}))
        run = subprocess.run(
            [sys.executable, "-m", "statuspage_prometheus_exporter.status_monitoring"],
            cwd=work,
            env=_environment(services, textfile),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        if run.returncode != 0 or not textfile.exists():
            raise RuntimeError(f"the exporter failed ({run.returncode}):\n{run.stderr}")
        text = textfile.read_text()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("statuspage_"):
                samples[metric_key(sample.name, dict(sample.labels))] = sample.value
    return samples
