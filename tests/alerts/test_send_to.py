"""A new key comes with where to send: a full URL or mail address, never a bare path."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.settings import Settings


def create(client: TestClient, admin: Caller, name: str, type_: str) -> tuple[str, str]:
    answer = client.post(
        "/api/v1/integrations",
        json={"name": name, "service": "checkout", "type": type_},
        headers=admin.headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["key"], answer.json()["endpoint"]


def test_keys_come_with_full_urls_based_on_the_address_reached(
    client: TestClient, admin: Caller
) -> None:
    key, endpoint = create(client, admin, "app-events", "pagerduty")
    assert endpoint == f"https://testserver/v2/enqueue (routing_key: {key})"
    key, endpoint = create(client, admin, "prom", "alertmanager")
    assert endpoint == f"https://testserver/api/v1/integrations/{key}/alertmanager"
    key, endpoint = create(client, admin, "nagios", "email")
    assert endpoint == f"{key}@testserver"
    listed = {
        item["name"]: item["endpoint"]
        for item in client.get("/api/v1/integrations", headers=admin.headers).json()
    }
    assert listed["prom"] == "https://testserver/api/v1/integrations/{key}/alertmanager"
    shown = client.get("/api/v1/integrations/app-events", headers=admin.headers).json()
    assert shown["endpoint"] == "https://testserver/v2/enqueue (routing_key: {key})"


def test_public_url_and_smtp_domain_name_what_senders_use(
    tocsin: Tocsin, admin: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_PUBLIC_URL", "https://tocsin.example.com/")
    settings = Settings.load(tocsin.settings.data_dir, tocsin.settings.database_url)
    assert settings.public_url == "https://tocsin.example.com"
    tocsin.settings = replace(tocsin.settings, public_url=settings.public_url)
    app = create_app(tocsin)
    with TestClient(app, base_url="http://10.0.0.5:8080") as client:
        key, endpoint = create(client, admin, "prom", "alertmanager")
        assert endpoint == f"https://tocsin.example.com/api/v1/integrations/{key}/alertmanager"
        key, endpoint = create(client, admin, "nagios", "email")
        assert endpoint == f"{key}@tocsin.example.com"
        app.state.smtp_domain = "alerts.example.com"
        rotated = client.post("/api/v1/integrations/nagios/rotate", headers=admin.headers).json()
        assert rotated["endpoint"] == f"{rotated['key']}@alerts.example.com"


def test_an_address_without_a_host_name_gets_an_address_literal(
    tocsin: Tocsin, admin: Caller
) -> None:
    with TestClient(create_app(tocsin), base_url="http://127.0.0.1:8080") as client:
        key, endpoint = create(client, admin, "nagios", "email")
        assert endpoint == f"{key}@[127.0.0.1]"
