"""Helpers for alert tests: integrations, configuration, payloads, and a real HTTP server."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Caller
from tests.support.processes import free_port, wait_for
from tocsin.alerts import handover
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.config import apply, validate_directory
from tocsin.engine.tables import Job

PAYLOADS = Path(__file__).resolve().parents[1] / "inbound" / "payloads"


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return loaded


def integration(
    client: TestClient,
    admin: Caller,
    name: str,
    type_: str,
    service: str = "checkout",
    **extra: Any,
) -> str:
    """Create an integration through the API and return its key."""
    response = client.post(
        "/api/v1/integrations",
        json={"name": name, "service": service, "type": type_, **extra},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


def configure(tocsin: Tocsin, directory: Path, files: dict[str, str]) -> None:
    """Write configuration files, validate them and apply them (they must be valid)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    validation = validate_directory(directory, CONFIG_KINDS, now=tocsin.clock.now())
    assert validation.ok, [str(issue) for issue in validation.errors]
    with tocsin.database.transaction() as session:
        apply(session, validation.configuration, now=tocsin.clock.now())


def alerts(tocsin: Tocsin) -> list[Alert]:
    with tocsin.database.sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def groups(tocsin: Tocsin) -> list[AlertGroup]:
    with tocsin.database.sessions() as session:
        return list(session.scalars(select(AlertGroup).order_by(AlertGroup.id)))


def events(
    tocsin: Tocsin, *, alert_id: int | None = None, group_id: int | None = None
) -> list[str]:
    """Event kinds of an alert or a group, oldest first."""
    query = select(AlertEvent.kind).order_by(AlertEvent.id)
    if alert_id is not None:
        query = query.where(AlertEvent.alert_id == alert_id)
    if group_id is not None:
        query = query.where(AlertEvent.group_id == group_id)
    with tocsin.database.sessions() as session:
        return list(session.scalars(query))


def jobs_of(tocsin: Tocsin, kind: str) -> list[Job]:
    with tocsin.database.sessions() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def wait_until_paged(tocsin: Tocsin, timeout: float = 60) -> None:
    """Wait until every queued paging of a new group (another process's engine) is done."""

    def paged() -> bool:
        with tocsin.database.sessions() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == handover.OPENED.name, Job.state != "done")
            )
        return pending == 0

    wait_for(paged, timeout=timeout, what="every paging job to finish")


def count(tocsin: Tocsin, table: type[Any]) -> int:
    with tocsin.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 (some clients insist on https)."""

    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def certificate(directory: Path) -> Certificate:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


@contextmanager
def served(tocsin: Tocsin, tls: Certificate | None = None) -> Iterator[str]:
    """Serve the app with uvicorn on 127.0.0.1 in a thread (for real HTTP clients)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(tocsin, start_engine=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            ssl_certfile=str(tls.cert) if tls else None,
            ssl_keyfile=str(tls.key) if tls else None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=15, what="uvicorn to start")
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def quiet_client(tocsin: Tocsin) -> Iterator[TestClient]:
    """An API client whose app does not start the engine: tests run jobs with run_until_idle."""
    with TestClient(
        create_app(tocsin, start_engine=False), base_url="https://testserver"
    ) as test_client:
        yield test_client
