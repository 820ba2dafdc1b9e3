"""Escalations, services and admin in a real browser."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.console.browser import (
    PHONE,
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
    screenshot,
)
from tests.support import processes


def _paged(server: ConsoleServer) -> bool:
    answer = server.api("GET", "/api/v1/escalations", params={"state": "active"})
    return bool(answer.json())


def test_policy_steps_dry_run_and_an_escalation_acknowledged_from_the_page(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "responder")
    page.goto("/escalations")
    policy = page.get_by_role("article", name="payments-default")
    expect(policy).to_contain_text("At minute 0: notify schedule payments-oncall, layer europe")
    expect(policy).to_contain_text("At minute 10: notify team payments, role team_lead")
    policy.get_by_label("For service").select_option("checkout")
    policy.get_by_role("button", name="Dry run of payments-default").click()
    steps = page.get_by_role("region", name="Who would be paged")
    expect(steps).to_contain_text("bruno")
    check_accessible(page)

    console_server.trigger("Payments API timing out")
    processes.wait_for(lambda: _paged(console_server), timeout=30, what="an escalation")
    page.goto("/escalations")
    flight = page.get_by_role("region", name="In flight")
    expect(flight).to_contain_text("Payments API timing out")
    check_accessible(page)
    screenshot(page, "escalations", tmp_path)
    flight.get_by_role("button", name="Acknowledge Payments API timing out").click()
    expect(page.get_by_role("region", name="In flight")).to_contain_text("acknowledged by bruno")
    page.get_by_role("region", name="In flight").get_by_role(
        "link", name="Payments API timing out"
    ).click()
    expect(page.get_by_role("region", name="What happened")).to_contain_text("bruno")
    check_accessible(page)
    page.goto("/outbox")
    expect(page.get_by_role("region", name="Messages, newest first")).to_contain_text(
        "Payments API timing out"
    )
    check_accessible(page)
    page.goto("/escalations")

    page.get_by_role("region", name="Latest pages").get_by_role(
        "link", name="Payments API timing out"
    ).first.click()
    expect(page.get_by_role("region", name="Deliveries")).to_contain_text("outbox")
    check_accessible(page)
    no_problems(page)
    page.context.close()


def test_services_on_a_phone(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "viewer", viewport=PHONE)
    page.goto("/services")
    expect(page.get_by_role("row", name="checkout")).to_contain_text("payments-default")
    check_accessible(page)
    screenshot(page, "services", tmp_path)
    page.goto("/escalations")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    check_accessible(page)
    screenshot(page, "escalations-phone", tmp_path)
    no_problems(page)
    page.context.close()


def test_admin_tokens_shown_once_integrations_and_no_admin_for_others(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "admin")
    page.goto("/admin")
    expect(page.get_by_role("row", name="erin")).to_be_visible()
    check_accessible(page)

    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("What it is for").fill("grafana dashboards")
    page.get_by_role("button", name="Make token").click()
    plain = page.locator("#new-token").inner_text()
    me = httpx.get(console_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.json()["name"] == "alice"
    check_accessible(page)
    screenshot(page, "admin-tokens", tmp_path)
    page.goto("/admin/tokens")
    assert plain not in page.content(), "a token is shown once, never in the list"
    row = page.get_by_role("row", name="grafana dashboards")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("row", name="grafana dashboards")).to_contain_text("revoked")
    revoked = httpx.get(
        console_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {plain}"}
    )
    assert revoked.status_code == 401

    page.get_by_role("link", name="Integrations").click()
    integration = page.get_by_role("region", name="checkout-pagerduty pagerduty")
    expect(integration).to_contain_text(f"{console_server.url}/v2/enqueue")
    check_accessible(page)
    screenshot(page, "admin-integrations", tmp_path)
    for tab in ("Dead jobs", "Audit log"):
        page.get_by_role("link", name=tab).click()
        check_accessible(page)
    expect(page.get_by_role("region", name="Who changed what, newest first")).to_contain_text(
        "token.revoke"
    )
    no_problems(page)
    page.context.close()

    responder = open_page(browser, console_server, "responder")
    answer = responder.goto("/admin")
    assert answer is not None and answer.status == 403
    expect(responder.get_by_role("alert")).to_contain_text("needs the admin role")
    responder.context.close()
