"""The seeds' classification guidelines, through POST /api/v1/classify, with reasons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import client_without_engine, field_error
from tocsin.app.service import Tocsin
from tocsin.config.tables import Definition
from tocsin.kernel.clock import FakeClock

URL = "/api/v1/classify"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def classify(client: TestClient, caller: Caller, **impact: Any) -> dict[str, Any]:
    response = client.post(URL, json=impact, headers=caller.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_complete_outage_affecting_all_users_is_sev1(client: TestClient, viewer: Caller) -> None:
    result = classify(client, viewer, users_affected=1.0, complete_outage=True, workaround=False)
    assert result["level"] == "SEV-1"
    assert result["reasons"][0] == "users affected 100% ≥ 50% → SEV-1"
    assert result["levels"] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]


def test_five_percent_of_users_is_sev2_unless_they_generate_half_the_revenue(
    client: TestClient, viewer: Caller
) -> None:
    normal = classify(client, viewer, users_affected=0.05, workaround=False)
    assert normal == {
        "level": "SEV-2",
        "reasons": ["users affected 5% ≥ 1% → SEV-2", "no effective workaround → stays SEV-2"],
        "levels": ["SEV-1", "SEV-2", "SEV-3", "SEV-4"],
    }
    valuable = classify(client, viewer, users_affected=0.05, revenue_share=0.5, workaround=False)
    assert valuable["level"] == "SEV-1"
    assert valuable["reasons"][1] == (
        "affected users generate 50% of revenue ≥ 30% → raised to SEV-1"
    )


def test_an_effective_workaround_makes_the_same_degradation_sev3(
    client: TestClient, viewer: Caller
) -> None:
    with_workaround = classify(client, viewer, users_affected=0.2, workaround=True)
    without = classify(client, viewer, users_affected=0.2, workaround=False)
    assert (with_workaround["level"], without["level"]) == ("SEV-3", "SEV-2")
    assert with_workaround["reasons"][-1] == "effective workaround exists → lowered to SEV-3"


def test_when_uncertain_the_higher_level_is_suggested(client: TestClient, viewer: Caller) -> None:
    sure = classify(client, viewer, users_affected=0.2, workaround=True)
    unsure = classify(client, viewer, users_affected=0.2, workaround=True, certainty="uncertain")
    low_confidence = classify(client, viewer, users_affected=0.2, workaround=True, certainty=0.5)
    assert sure["level"] == "SEV-3"
    assert unsure["level"] == low_confidence["level"] == "SEV-2"
    assert unsure["reasons"][-1] == (
        "responder is uncertain → suggested the higher level SEV-2 (between SEV-3 and SEV-2)"
    )


def test_critical_business_functions_are_sev1_even_with_a_workaround(
    client: TestClient, viewer: Caller
) -> None:
    result = classify(
        client, viewer, users_affected=0.001, business_functions=["data_loss"], workaround=True
    )
    assert result["level"] == "SEV-1"
    assert "data_loss affected → raised to SEV-1" in result["reasons"]


def test_thresholds_and_levels_come_from_configuration(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    levels = [
        ("P1", "Critical", "5 minutes"),
        ("P2", "High", "15 minutes"),
        ("P3", "Low", "Next business day"),
    ]
    with tocsin.database.transaction() as session:
        session.add(
            Definition(
                kind="classification",
                name="classification",
                spec={"major_users_share": 0.1},
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        for position, (level, name, response_time) in enumerate(levels):
            session.add(
                Definition(
                    kind="severity",
                    name=level,
                    position=position,
                    spec={
                        "level": level,
                        "name": name,
                        "response_time": response_time,
                        "communication": "Daily update",
                        "escalation": "None",
                    },
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    result = classify(client, viewer, users_affected=0.05, workaround=False)
    assert result["levels"] == ["P1", "P2", "P3"]
    assert result["level"] == "P2"
    assert result["reasons"][0] == "users affected 5% ≥ 0.1% → P2"
    severities = client.get("/api/v1/severities", headers=viewer.headers).json()
    assert [(s["level"], s["formal_declaration"]) for s in severities] == [
        ("P1", True),
        ("P2", True),
        ("P3", False),
    ]
    assert severities[2]["response_time_seconds"] is None


def test_default_severities_expose_typed_values(client: TestClient, viewer: Caller) -> None:
    first, second, third, fourth = client.get("/api/v1/severities", headers=viewer.headers).json()
    assert (first["level"], first["response_time_seconds"]) == ("SEV-1", 300)
    assert first["communication_every_seconds"] == 15 * 60
    assert first["escalation_audience"] == ["vp_of_engineering"]
    assert second["escalation_audience"] == ["engineering_manager"]
    assert [s["formal_declaration"] for s in (first, second, third, fourth)] == [
        True,
        True,
        False,
        False,
    ]
    assert fourth["response_time"] == "Next business day"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"users_affected": 1.5}, ("users_affected",)),
        ({"revenue_share": -0.1}, ("revenue_share",)),
        ({"certainty": "maybe"}, ("certainty",)),
        ({"surprise": True}, ("surprise",)),
    ],
)
def test_bad_impacts_name_the_field(
    client: TestClient, viewer: Caller, body: dict[str, Any], field: tuple[str, ...]
) -> None:
    location = field_error(client.post(URL, json=body, headers=viewer.headers))
    assert location[0] == field[0]


def test_classify_needs_authentication(client: TestClient) -> None:
    assert client.post(URL, json={}).status_code == 401
