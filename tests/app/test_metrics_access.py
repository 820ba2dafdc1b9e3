"""Who may read ``/metrics``: loopback or an admin's token by default; token only; anybody."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.settings import Settings

ELSEWHERE = "203.0.113.7"


@contextmanager
def calling_from(tocsin: Tocsin, host: str, access: str = "loopback") -> Iterator[TestClient]:
    """A client whose requests come from ``host``, to a Tocsin with ``access``."""
    tocsin.settings = dataclasses.replace(tocsin.settings, metrics_access=access)
    app = create_app(tocsin, start_engine=False)
    with TestClient(app, base_url="https://testserver", client=(host, 50000)) as client:
        yield client


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_by_default_this_machine_reads_without_credentials(tocsin: Tocsin, host: str) -> None:
    with calling_from(tocsin, host) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 200
    assert "tocsin_build_info" in answer.text


def test_by_default_elsewhere_needs_an_admins_token(
    tocsin: Tocsin, admin: Caller, responder: Caller
) -> None:
    with calling_from(tocsin, ELSEWHERE) as client:
        missing = client.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-a-token"})
        assert wrong.status_code == 401
        not_admin = client.get("/metrics", headers=responder.headers)
        assert not_admin.status_code == 403
        assert not_admin.json() == {"detail": "reading /metrics needs the admin role"}
        assert client.get("/metrics", headers=admin.headers).status_code == 200


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_a_request_through_a_local_proxy_is_not_from_this_machine(
    tocsin: Tocsin, admin: Caller, header: str
) -> None:
    with calling_from(tocsin, "127.0.0.1") as client:
        proxied = client.get("/metrics", headers={header: ELSEWHERE})
        assert proxied.status_code == 401
        headers = {header: ELSEWHERE, **admin.headers}
        assert client.get("/metrics", headers=headers).status_code == 200


def test_token_access_asks_this_machine_for_the_token_too(
    tocsin: Tocsin, admin: Caller, viewer: Caller
) -> None:
    with calling_from(tocsin, "127.0.0.1", access="token") as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=viewer.headers).status_code == 403
        assert client.get("/metrics", headers=admin.headers).status_code == 200


def test_open_access_lets_anybody_read(tocsin: Tocsin) -> None:
    with calling_from(tocsin, ELSEWHERE, access="open") as client:
        assert client.get("/metrics").status_code == 200


def test_the_setting_is_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings.load().metrics_access == "loopback"
    monkeypatch.setenv("TOCSIN_METRICS_ACCESS", " Token ")
    assert Settings.load().metrics_access == "token"
    monkeypatch.setenv("TOCSIN_METRICS_ACCESS", "everyone")
    with pytest.raises(ValueError, match="TOCSIN_METRICS_ACCESS must be one of loopback, token"):
        Settings.load()


def test_metrics_is_documented_with_the_probes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/metrics"]["get"]
    assert operation["tags"] == ["health"]
    assert set(operation["responses"]) == {"200", "401", "403"}
    assert "text/plain; version=0.0.4; charset=utf-8" in operation["responses"]["200"]["content"]
