"""The home page in a real browser: a page to me shows first, and one tap acknowledges it."""

from __future__ import annotations

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
from tests.support import processes


def _open_pages(server: ConsoleServer, user: str) -> list[dict[str, object]]:
    answer = server.api("GET", "/api/v1/pages", params={"user": user, "state": "open"})
    assert answer.status_code == 200, answer.text
    pages: list[dict[str, object]] = answer.json()
    return pages


def test_my_page_shows_on_home_and_one_tap_on_a_phone_acknowledges_it(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    console_server.trigger("Checkout is failing")
    # Monday 2026-06-01 09:00 UTC: bruno holds the europe layer; the first step pages him.
    processes.wait_for(
        lambda: bool(_open_pages(console_server, "bruno")), timeout=30, what="bruno's page"
    )

    page = open_page(browser, console_server, "responder", viewport=PHONE)
    waiting = page.get_by_role("region", name="Your pages waiting for an answer")
    expect(waiting.get_by_text("high Checkout is failing")).to_be_visible()
    firing = page.get_by_role("region", name="Firing alert groups")
    expect(firing.get_by_role("link", name="Checkout is failing")).to_be_visible()
    oncall = page.get_by_role("region", name="On call now for your teams")
    expect(oncall.get_by_role("row", name="payments-oncall europe bruno")).to_be_visible()
    check_accessible(page)
    screenshot(page, "home-phone", tmp_path)

    waiting.get_by_role("button", name="Acknowledge Checkout is failing").click()
    expect(waiting.get_by_text("Nothing is paging you.")).to_be_visible()
    assert _open_pages(console_server, "bruno") == []
    assert (
        "acknowledged by bruno"
        in page.get_by_role("region", name="Firing alert groups").inner_text()
    )
    no_problems(page)
    page.context.close()


def test_admins_see_tocsin_alarms_and_responders_do_not(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    admin = open_page(browser, console_server, "admin")
    expect(admin.get_by_role("region", name="Tocsin itself")).to_contain_text("No dead job")
    screenshot(admin, "home-desktop", tmp_path)
    admin.context.close()
    responder = open_page(browser, console_server, "responder")
    expect(responder.get_by_role("heading", name="Tocsin itself")).to_have_count(0)
    check_accessible(responder)
    responder.context.close()


def test_a_viewer_cannot_acknowledge_a_page(
    browser: Browser, console_server: ConsoleServer
) -> None:
    viewer = open_page(browser, console_server, "viewer")
    expect(viewer.get_by_role("button", name="Acknowledge")).to_have_count(0)
    token = viewer.locator('meta[name="csrf-token"]').get_attribute("content")
    forged = viewer.request.post("/pages/1/acknowledge", form={"csrf_token": token or ""})
    assert forged.status == 403
    assert "needs the responder role" in forged.text()
    viewer.context.close()
