"""Exporting an incident and its timeline as Markdown or JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_export_markdown_and_json(client: TestClient, admin: Caller, clock: FakeClock) -> None:
    reference = declare(client, admin, title="DB down", services=["db"])["reference"]
    client.post(
        f"{API}/{reference}/roles",
        json={"role": "incident_commander", "user": "ada"},
        headers=admin.headers,
    )
    clock.advance(minutes=5)
    client.post(
        f"{API}/{reference}/notes",
        json={"text": "Failover started", "kind": "action"},
        headers=admin.headers,
    )
    client.post(
        f"{API}/{reference}/notes", json={"text": "At 09:04", "corrects": 3}, headers=admin.headers
    )

    markdown = client.get(f"{API}/{reference}/export", headers=admin.headers)
    assert markdown.headers["content-type"].startswith("text/markdown")
    text = markdown.text
    assert text.startswith(f"# {reference}: DB down\n")
    assert "- Incident Commander: ada" in text
    assert "- #3 **2026-01-05 09:05 UTC** · action · ada: Failover started" in text
    assert "  - #4 **Correction** (2026-01-05 09:05 UTC · ada): At 09:04" in text
    assert "- Services: db" in text

    data = client.get(f"{API}/{reference}/export", params={"format": "json"}, headers=admin.headers)
    document = data.json()
    assert document["incident"]["reference"] == reference
    assert document["incident"]["services"] == ["db"]
    assert [e["sequence"] for e in document["entries"]] == [1, 2, 3]
    assert document["entries"][2]["corrections"][0]["text"] == "At 09:04"
    response = client.get(
        f"{API}/{reference}/export", params={"format": "pdf"}, headers=admin.headers
    )
    assert field_error(response) == ("format",)
