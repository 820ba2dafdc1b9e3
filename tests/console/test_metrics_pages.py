"""The console's metrics pages without a browser: figures, the SVG charts and their tables.

The browser test (test_metrics.py) checks what a person sees and axe-core;
these check the numbers each page prints for a known history, the chart's
accessible parts, and that a bad filter is a 422 page naming the field.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.console.test_viewer import _log_in
from tests.metrics.support import MONDAY, add_incident, add_page, define, resolved
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

PERIOD = "from=2026-06-01&to=2026-06-15"


class Svg(HTMLParser):
    """The charts' titles, descriptions, bars (their tooltips) and any inline style."""

    def __init__(self) -> None:
        super().__init__()
        self.labelled_by: list[str] = []
        self.ids: set[str] = set()
        self.bars: list[str] = []
        self.styles = 0
        self._stack: list[str] = []
        self._text: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._stack.append(tag)
        if tag == "svg":
            self.labelled_by.append(found.get("aria-labelledby") or "")
            assert found.get("role") == "img"
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if "style" in found or tag == "style":
            self.styles += 1

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._stack[-2:] == ["rect", "title"]:
            self.bars.append(data)


@pytest.fixture
def history(tocsin: Tocsin, clock: FakeClock) -> None:
    clock.set(MONDAY + timedelta(days=10))
    minute = timedelta(minutes=1)
    with tocsin.database.transaction() as session:
        define(session, {"shop": ["checkout", "payments"]})
        first = add_incident(
            session,
            resolved(MONDAY + timedelta(hours=9), ack=2 * minute, resolve=30 * minute),
            severity="SEV-1",
            services=["checkout"],
        )
        add_incident(
            session,
            resolved(MONDAY + timedelta(days=8), ack=4 * minute, resolve=90 * minute),
            severity="SEV-2",
            services=["checkout", "payments"],
        )
        add_incident(session, resolved(MONDAY + timedelta(days=9), drill=True), severity="SEV-1")
        add_page(session, "rex", MONDAY + timedelta(days=5, hours=12), incident=first)


@pytest.mark.usefixtures("history")
def test_response_times_and_weekly_charts(tocsin: Tocsin, client: TestClient) -> None:
    _log_in(tocsin, client, "vic", "viewer")
    page = client.get(f"/incident-metrics?{PERIOD}")
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "2 incidents detected from 2026-06-01 to before 2026-06-15; drills left out" in text
    assert "MTTD 0 n/a n/a n/a" in text
    assert "MTTA 2 3 min 3 min 4 min" in text
    assert "MTTR 2 1 h 0 min 1 h 0 min 1 h 30 min" in text
    svg = Svg()
    svg.feed(page.text)
    assert svg.styles == 0, "the CSP refuses inline styles"
    assert len(svg.labelled_by) == 2
    for labels in svg.labelled_by:
        assert all(part in svg.ids for part in labels.split()), labels
    assert svg.bars == [
        "2026-W23, SEV-1: 1",
        "2026-W24, SEV-2: 1",
        "2026-W23, checkout: 1",
        "2026-W24, checkout: 1",
        "2026-W24, payments: 1",
    ]
    # The same numbers in each chart's table.
    assert "2026-W24 (08 Jun) 0 1" in text
    assert "2026-W24 (08 Jun) 1 1" in text


@pytest.mark.usefixtures("history")
def test_alerts_and_oncall_pages(tocsin: Tocsin, client: TestClient) -> None:
    _log_in(tocsin, client, "vic", "viewer")
    alerts = client.get(f"/incident-metrics/alerts?{PERIOD}")
    assert alerts.status_code == 200
    assert "No alert group resolved in this period." in alerts.text
    oncall = client.get(f"/incident-metrics/oncall?{PERIOD}&team=shop")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", oncall.text))
    assert "rex UTC 1 1 100%" in text, "Saturday noon is after hours"
    assert 'aria-current="page">On-call load' in oncall.text
    assert "/incident-metrics?from=2026-06-01&amp;to=2026-06-15&amp;team=shop" in oncall.text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=2026-06-15&to=2026-06-01", "to: must be after from"),
        ("from=soon", "from: must be a date"),
        ("severity=SEV-9", "severity: unknown severity"),
        ("team=nobody", "team: no team named"),
    ],
)
@pytest.mark.usefixtures("history")
def test_a_bad_filter_is_a_page_naming_it(
    tocsin: Tocsin, client: TestClient, query: str, words: str
) -> None:
    _log_in(tocsin, client, "vic", "viewer")
    answer = client.get(f"/incident-metrics?{query}")
    assert answer.status_code == 422
    assert words in answer.text


def test_the_default_period_is_the_last_twelve_weeks(
    tocsin: Tocsin, client: TestClient, clock: FakeClock
) -> None:
    clock.set(MONDAY + timedelta(days=2))  # a Wednesday
    _log_in(tocsin, client, "vic", "viewer")
    page = client.get("/incident-metrics")
    assert 'name="from" value="2026-03-16"' in page.text
    assert 'name="to" value="2026-06-08"' in page.text
