"""The metrics pages in a real browser: six weeks of incidents with their postmortems and an
action item, the charts, axe-core clean."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.console.browser import (
    PHONE,
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
    screenshot,
)

LEVELS = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-3", "SEV-2")


def run_incidents(server: ConsoleServer) -> None:
    """Two incidents a week for six weeks: acknowledged after 3 min, resolved after 40 min."""
    for number in range(12):
        detected = server.now
        declared = server.api(
            "POST",
            "/api/v1/incidents",
            json={
                "title": f"Checkout errors #{number}",
                "severity": LEVELS[number % len(LEVELS)],
                "services": ["checkout"],
                "impact_started_at": (detected - timedelta(minutes=number)).isoformat(),
            },
        )
        assert declared.status_code == 201, declared.text
        reference = declared.json()["reference"]
        for minutes, status in ((3 + number % 4, "responding"), (40 + 5 * number, "resolved")):
            server.advance(timedelta(minutes=minutes))
            moved = server.api(
                "POST", f"/api/v1/incidents/{reference}/status", json={"status": status}
            )
            assert moved.status_code == 200, moved.text
        server.advance(timedelta(days=3, hours=number % 5))


def add_action_item(server: ConsoleServer) -> None:
    """An action item on the first postmortem, due yesterday: overdue."""
    listed = server.api("GET", "/api/v1/postmortems", params={"limit": 500})
    assert listed.status_code == 200, listed.text
    reference = listed.json()["items"][-1]["reference"]
    added = server.api(
        "POST",
        f"/api/v1/postmortems/{reference}/action-items",
        json={
            "description": "Alert on checkout error rate",
            "priority": "P1",
            "type": "detect",
            "due_date": (server.now - timedelta(days=1)).date().isoformat(),
        },
    )
    assert added.status_code == 201, added.text


def test_response_times_trends_alerts_and_load(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    run_incidents(console_server)
    add_action_item(console_server)
    page = open_page(browser, console_server, "responder")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Metrics").click()
    expect(page.get_by_role("heading", name="Metrics", level=1)).to_be_visible()
    times = page.get_by_role("region", name="Response times")
    expect(times).to_contain_text("12 incidents detected")
    expect(times.get_by_role("row", name=re.compile("^MTTA"))).to_contain_text("12")
    expect(page.get_by_role("img", name="Incidents per week by severity")).to_be_visible()
    expect(page.get_by_role("img", name="Incidents per week by service")).to_be_visible()
    check_accessible(page)
    screenshot(page, "metrics-desktop", tmp_path)

    page.get_by_text("Incidents per week by severity: the numbers").click()
    table = page.get_by_role("region", name="Incidents per week by severity").get_by_role("table")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="SEV-1")).to_be_visible()

    filters = page.get_by_role("search", name="Period and filters")
    filters.get_by_label("Severity").select_option("SEV-1")
    filters.get_by_role("button", name="Show").click()
    expect(times).to_contain_text("2 incidents detected")

    page.get_by_role("link", name="Alert quality").click()
    expect(page.get_by_role("heading", name="Rules, noisiest first")).to_be_visible()
    expect(page.get_by_label("Severity")).to_have_value("")  # alert severities differ
    check_accessible(page)
    page.get_by_role("link", name="On-call load").click()
    expect(page.get_by_role("heading", name="Pages per person")).to_be_visible()
    check_accessible(page)

    tabs = page.get_by_role("navigation", name="Metrics")
    tabs.get_by_role("link", name="Postmortems").click()
    expect(page.get_by_role("heading", name="Postmortems", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="In this period")).to_contain_text("postmortems due")
    expect(page.get_by_role("img", name="Postmortems per week due")).to_be_visible()
    severities = page.get_by_role("region", name="Postmortems per severity")
    expect(severities.get_by_role("rowheader", name="SEV-1")).to_be_visible()
    expect(page.get_by_role("region", name="Postmortems per team")).to_be_visible()
    check_accessible(page)

    tabs.get_by_role("link", name="Action items").click()
    expect(page.get_by_role("heading", name="Action items", level=1)).to_be_visible()
    period = page.get_by_role("region", name="In this period")
    expect(period).to_contain_text("1 action item created")
    expect(period).to_contain_text("of which 1 overdue")
    expect(
        page.get_by_role("img", name=re.compile("^Action items per week created"))
    ).to_be_visible()
    teams = page.get_by_role("region", name="Action items per team")
    expect(teams.get_by_role("row", name=re.compile("^all"))).to_contain_text("0%")
    check_accessible(page)
    no_problems(page)
    page.context.close()


def test_dark_and_phone(browser: Browser, console_server: ConsoleServer, tmp_path: Path) -> None:
    dark = open_page(browser, console_server, "viewer", color_scheme="dark")
    dark.goto("/incident-metrics")
    expect(dark.get_by_role("img", name="Incidents per week by severity")).to_be_visible()
    check_accessible(dark)
    no_problems(dark)
    dark.context.close()
    phone = open_page(browser, console_server, "viewer", viewport=PHONE)
    phone.goto("/incident-metrics")
    expect(phone.get_by_role("region", name="Response times")).to_be_visible()
    check_accessible(phone)
    screenshot(phone, "metrics-phone", tmp_path)
    for path, chart in (
        ("/incident-metrics/postmortems", "Postmortems per week due"),
        ("/incident-metrics/action-items", "Action items per week created, by what became of them"),
    ):
        phone.goto(path)
        expect(phone.get_by_role("img", name=chart)).to_be_visible()
        check_accessible(phone)
    phone.context.close()
