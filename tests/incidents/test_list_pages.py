"""The incident list pages by cursor, caps its count and reads a page in fixed queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.conftest import Caller
from tests.incidents.support import API, client_without_engine, declare, field_error, get, iso
from tests.paging.conftest import apply_files
from tocsin.app.service import Tocsin
from tocsin.db import keyset
from tocsin.incidents import records
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def detected(clock: FakeClock) -> datetime:
    """An instant a day before the clock's now: incidents are declared as detected after it."""
    return clock.now() - timedelta(days=1)


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def _walk(client: TestClient, caller: Caller, **params: Any) -> list[str]:
    """Every reference the list shows, following next_cursor from the first page to the last."""
    seen: list[str] = []
    cursor = None
    while True:
        page = get(client, caller, API, **params, **({"cursor": cursor} if cursor else {}))
        seen.extend(item["reference"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def _declare_at(client: TestClient, caller: Caller, at: datetime, **fields: Any) -> str:
    reference: str = declare(client, caller, detected_at=iso(at), **fields)["reference"]
    return reference


def test_walking_the_cursors_shows_every_incident_once_in_order(
    client: TestClient, responder: Caller, detected: datetime
) -> None:
    # Three share one detection instant: the id orders them (newest first).
    minutes = [0, 5, 5, 5, 2, 9, 1]
    references = [_declare_at(client, responder, detected + timedelta(minutes=m)) for m in minutes]
    by_number = {
        int(ref.removeprefix("INC-")): (m, ref) for m, ref in zip(minutes, references, strict=True)
    }
    expected = [ref for _, (_, ref) in sorted(by_number.items(), key=lambda i: (i[1][0], i[0]))]
    expected.reverse()

    walked = _walk(client, responder, limit=2)

    assert walked == expected
    last = get(client, responder, API, limit=7)
    assert last["next_cursor"] is None and len(last["items"]) == 7


def test_filters_hold_across_pages(
    client: TestClient, responder: Caller, detected: datetime
) -> None:
    responding = []
    for minute in range(6):
        at = detected + timedelta(minutes=minute)
        reference = _declare_at(client, responder, at, tags=["db"] if minute % 2 else [])
        if minute % 3 != 2:
            client.post(
                f"{API}/{reference}/status",
                json={"status": "responding"},
                headers=responder.headers,
            )
            responding.append(reference)

    assert _walk(client, responder, limit=1, status="responding") == responding[::-1]
    tagged = _walk(client, responder, limit=1, tag="db", status="responding")
    assert tagged == [ref for ref in responding[::-1] if int(ref[4:]) % 2 == 0]
    window = {"from": iso(detected + timedelta(minutes=1)), "to": iso(detected + timedelta(1))}
    assert len(_walk(client, responder, limit=2, **window)) == 5


@pytest.mark.parametrize("sort_at_most", [0, 10_000], ids=["walk", "sort"])
def test_every_way_of_reading_a_filter_pages_the_same(
    client: TestClient,
    responder: Caller,
    detected: datetime,
    monkeypatch: pytest.MonkeyPatch,
    sort_at_most: int,
) -> None:
    """Service and tag filters walk or sort; several statuses or levels merge their ranges."""
    monkeypatch.setattr(records, "SORT_AT_MOST", sort_at_most)
    for number in range(12):
        reference = _declare_at(
            client,
            responder,
            detected + timedelta(minutes=number // 3),  # three by three on one instant
            severity=f"SEV-{1 + number % 4}",
            services=["db"] if number % 2 else ["web"],
            tags=["slow"] if number % 3 else [],
        )
        if number % 3 == 1:
            client.post(
                f"{API}/{reference}/status",
                json={"status": "responding"},
                headers=responder.headers,
            )
    everything = get(client, responder, API, limit=500)["items"]

    def expected(keep: Any) -> list[str]:
        return [item["reference"] for item in everything if keep(item)]

    cases: list[tuple[dict[str, Any], Any]] = [
        ({"service": "db"}, lambda i: "db" in i["services"]),
        ({"tag": "slow"}, lambda i: "slow" in i["tags"]),
        ({"status": ["triage", "responding"]}, lambda i: True),
        (
            {"status": ["responding", "closed"], "tag": "slow"},
            lambda i: i["status"] == "responding" and "slow" in i["tags"],
        ),
        ({"severity": ["SEV-1", "SEV-3"]}, lambda i: i["severity"] in ("SEV-1", "SEV-3")),
    ]
    for params, keep in cases:
        assert _walk(client, responder, limit=2, **params) == expected(keep), params
        skipped = get(client, responder, API, limit=2, offset=1, **params)["items"]
        assert [item["reference"] for item in skipped] == expected(keep)[1:3], params


def test_a_cursor_tocsin_did_not_make_is_refused_naming_cursor(
    client: TestClient, viewer: Caller
) -> None:
    for bad in ("not-a-cursor", keyset.encode([1]), keyset.encode(["x", 1]), "x" * 600):
        response = client.get(API, params={"cursor": bad}, headers=viewer.headers)
        assert field_error(response) == ("cursor",), bad


def test_offset_still_works_alone_and_after_a_cursor(
    client: TestClient, responder: Caller, detected: datetime
) -> None:
    at = [detected + timedelta(minutes=minute) for minute in range(5)]
    references = [_declare_at(client, responder, when) for when in at][::-1]

    page = get(client, responder, API, limit=2, offset=1)
    assert [item["reference"] for item in page["items"]] == references[1:3]
    assert (page["total"], page["total_exact"], page["offset"]) == (5, True, 1)
    after = get(client, responder, API, limit=1, offset=1, cursor=page["next_cursor"])
    assert [item["reference"] for item in after["items"]] == [references[4]]
    assert after["next_cursor"] is None


def test_the_total_is_capped(
    client: TestClient, responder: Caller, detected: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for minute in range(4):
        at = detected + timedelta(minutes=minute)
        first = minute == 0
        fields = {"services": ["db"], "tags": ["slow"]} if first else {"services": ["web"]}
        _declare_at(client, responder, at, severity="SEV-3" if first else "SEV-2", **fields)
    monkeypatch.setattr(keyset, "COUNT_CAP", 2)

    def total(**params: Any) -> tuple[int, bool]:
        page = get(client, responder, API, limit=1, **params)
        return page["total"], page["total_exact"]

    assert total() == (2, False)
    assert total(severity="SEV-3") == (1, True)
    # A lone service or tag is counted by its own rows; with other filters, by incident.
    assert total(service="web") == (2, False)
    assert total(service="db") == total(tag="slow") == (1, True)
    assert total(service="web", tag="slow") == (0, True)
    assert total(service="web", drill=False) == (2, False)


def _queries_for_a_page(client: TestClient, tocsin: Tocsin, caller: Caller) -> tuple[int, int]:
    """(statements run, incidents shown) for one GET of the whole list."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(tocsin.database.engine, "before_cursor_execute", count)
    try:
        page = get(client, caller, API, limit=100, status="triage")
    finally:
        event.remove(tocsin.database.engine, "before_cursor_execute", count)
    return len(statements), len(page["items"])


def test_a_page_takes_the_same_queries_for_5_or_50_incidents(
    client: TestClient, tocsin: Tocsin, responder: Caller
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            reference = declare(client, responder, services=["db"], tags=["t"])["reference"]
            role = {"role": "scribe", "user": "rex"}
            client.post(f"{API}/{reference}/roles", json=role, headers=responder.headers)

    add(5)
    few = _queries_for_a_page(client, tocsin, responder)
    add(45)
    many = _queries_for_a_page(client, tocsin, responder)

    assert (few[1], many[1]) == (5, 50)
    assert few[0] == many[0]


def test_the_team_filter_finds_incidents_on_any_of_its_services(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    apply_files(
        tocsin.database,
        tmp_path,
        {
            "org.yaml": """
teams:
  payments: {members: [rex]}
  search: {members: [rex]}
  idle: {members: [rex]}
services:
  checkout: {team: payments}
  card-api: {team: payments}
  index: {team: search}
"""
        },
        tocsin.clock.now(),
        seeds=False,
    )
    checkout = declare(client, responder, services=["checkout"])["reference"]
    card = declare(client, responder, services=["card-api", "index"])["reference"]
    declare(client, responder, services=["index"])
    declare(client, responder)

    assert sorted(_walk(client, responder, team="payments")) == sorted([checkout, card])
    assert _walk(client, responder, team="idle") == []
    unknown = client.get(API, params={"team": "nope"}, headers=responder.headers)
    assert unknown.status_code == 422
    assert "nope" in unknown.text and "payments" in unknown.text
