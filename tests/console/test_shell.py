"""The console's frame in a real browser: login, the top bar, the shortcuts, CSP, axe-core."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.console.browser import (
    PHONE,
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
)


def test_login_goes_back_to_the_page_asked_for(
    browser: Browser, console_server: ConsoleServer
) -> None:
    context = browser.new_context(base_url=console_server.url)
    page = context.new_page()
    page.goto("/outbox")
    assert "/login?next=/outbox" in page.url
    check_accessible(page)
    page.get_by_label("User name").fill("bruno")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password.")
    context.close()


def test_top_bar_shortcuts_and_no_csp_violation(
    browser: Browser, console_server: ConsoleServer
) -> None:
    page = open_page(browser, console_server, "admin")
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Incidents", "Alerts", "On call", "Escalations", "Services", "Admin"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(page.get_by_text("alice (admin)")).to_be_visible()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    check_accessible(page)
    no_problems(page)
    page.context.close()


def test_a_viewer_sees_no_admin_link_and_a_phone_gets_the_same_page(
    browser: Browser, console_server: ConsoleServer
) -> None:
    page = open_page(browser, console_server, "viewer", viewport=PHONE, color_scheme="dark")
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    check_accessible(page)
    no_problems(page)
    page.context.close()
