"""The status page in a real browser: confirming a proposal, publishing and updating from
the console, and the public page (without JavaScript on a phone, its bars by keyboard)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.console.browser import (
    DESKTOP,
    PHONE,
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
    screenshot,
)


def _declare(server: ConsoleServer, title: str) -> str:
    """A SEV-1 on the demo's checkout service (components Checkout and Payments API)."""
    answer = server.api(
        "POST",
        "/api/v1/incidents",
        json={"title": title, "severity": "SEV-1", "services": ["checkout"]},
    )
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    return reference


def _published(server: ConsoleServer, name: str, body: str) -> dict[str, Any]:
    reference = _declare(server, f"internal: {name}")
    answer = server.api(
        "POST",
        f"/api/v1/incidents/{reference}/publish",
        json={"name": name, "body": body, "components": {"Checkout": "partial_outage"}},
    )
    assert answer.status_code == 201, answer.text
    published: dict[str, Any] = answer.json()
    return published


def _component_row(page: Page, name: str) -> Any:
    return page.locator("#status-state tr").filter(
        has=page.get_by_role("cell").filter(has_text=name)
    )


def test_confirm_a_proposal_publish_and_post_an_update_seen_on_the_public_page(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "responder")
    page.goto("/status-page")
    expect(page.get_by_role("heading", name="Status page", level=1)).to_be_visible()
    expect(page.locator("[sse-connect]")).to_have_attribute("data-live", "open")
    reference = _declare(console_server, "Card payments time out")
    # The proposal arrives live, with the incident that causes it.
    checkout = _component_row(page, "Checkout").first
    expect(checkout).to_contain_text(f"{reference} (SEV-1) on checkout")
    expect(checkout.get_by_role("link", name=reference)).to_be_visible()
    check_accessible(page)
    screenshot(page, "status-page-console", tmp_path)

    checkout.get_by_role("button", name="Confirm major outage for Checkout").click()
    expect(_component_row(page, "Checkout").first).to_contain_text("Major outage")
    expect(page.get_by_role("button", name="Confirm major outage for Checkout")).to_have_count(0)

    page.goto(f"/incidents/{reference}")
    page.get_by_role("link", name="Publish on status page").click()
    expect(page.get_by_role("heading", name="Publish on the status page")).to_be_visible()
    expect(page.get_by_label("Impact")).to_have_value("critical")
    expect(page.get_by_label("Payments / Payments API")).to_have_value("major_outage")
    check_accessible(page)
    page.get_by_label("Public name").fill("Card payments are failing")
    page.get_by_label("First update").fill("We are looking into failed card payments.")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", name="Card payments are failing", level=1)).to_be_visible()

    page.get_by_label("Status", exact=True).select_option("identified")
    page.get_by_label("Message for the public").fill(
        "A faulty release is being rolled back; card payments fail for about half of the attempts."
    )
    page.get_by_label("Payments / Payments API").select_option("partial_outage")
    check_accessible(page)
    screenshot(page, "status-page-update", tmp_path)
    page.get_by_role("button", name="Post update").click()
    updates = page.get_by_role("region", name="Updates, newest first")
    expect(updates.locator("li").first).to_contain_text("A faulty release is being rolled back")
    expect(updates.locator("li").first).to_contain_text("Payments API: major outage → partial")
    expect(page.locator("#public-status")).to_have_text("Identified")

    public = page.context.new_page()
    public.goto("/status")
    expect(public.get_by_role("heading", name="Major System Outage")).to_be_visible()
    expect(public.get_by_text("A faulty release is being rolled back")).to_be_visible()
    check_accessible(public)
    no_problems(page)
    page.context.close()


def _scriptless_twin(browser: Browser, server: ConsoleServer, path: str, html: str) -> Page:
    """A phone page showing ``html`` as served at ``path``, its scripts refused.

    A context without JavaScript cannot run axe-core (Playwright's evaluate
    needs it), so the document the scriptless phone rendered is audited here,
    with every script still refused.
    """
    context = browser.new_context(base_url=server.url, viewport=PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    context.route("**/*.js", lambda route: route.abort())
    context.route(
        server.url + path,
        lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
    )
    page = context.new_page()
    page.goto(path)
    return page


def test_the_public_page_works_without_javascript_on_a_phone(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    published = _published(
        console_server, "Checkout is slow", "Some payments take a minute to complete."
    )
    context = browser.new_context(
        base_url=console_server.url,
        viewport=PHONE,  # type: ignore[arg-type]
        java_script_enabled=False,
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    for path, heading in (("/status", 2), (published["url"], 1)):
        page.goto(path)
        expect(page.get_by_role("heading", name="Checkout is slow", level=heading)).to_be_visible()
        expect(page.get_by_text("Some payments take a minute to complete.")).to_be_visible()
        # Without its script the times stay in the page's zone, said so in the footer.
        expect(page.locator("[data-zone]")).to_have_text("UTC")
        if path == "/status":
            expect(page.get_by_text("Partial outage").first).to_be_visible()
            screenshot(page, "status-public-phone", tmp_path)
        twin = _scriptless_twin(browser, console_server, path, page.content())
        expect(twin.locator("[data-zone]")).to_have_text("UTC")
        width = twin.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone: {width}px"
        check_accessible(twin)
        twin.context.close()
    context.close()


def test_a_day_of_the_90_day_bar_shows_its_tooltip_on_keyboard_focus(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    _published(console_server, "Checkout errors for some", "Some payments fail.")
    console_server.advance(timedelta(minutes=30))  # today has half an hour of history
    context = browser.new_context(base_url=console_server.url, viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/status")
    check_accessible(page)
    tips = page.locator(".day .tip")
    expect(tips.first).to_be_hidden()
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('day')"):
            break
    else:
        raise AssertionError("no day of the 90-day bars takes the keyboard focus")
    focused = page.locator(".day:focus")
    expect(focused.locator(".tip")).to_be_visible()
    today = page.locator(".days").first.locator(".day").last
    today.focus()
    tip = today.locator(".tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Checkout errors for some")
    expect(tip).to_contain_text("% uptime")
    expect(tip).to_contain_text("outage")
    expect(tip.get_by_role("link", name="Checkout errors for some")).to_be_visible()
    screenshot(page, "status-public-desktop", tmp_path)
    context.close()
