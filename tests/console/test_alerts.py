"""The alerts pages in a real browser: the live queue, acknowledging on a phone, silencing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.console.browser import (
    PHONE,
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
    screenshot,
)


def queue(page: Page) -> Any:
    return page.locator("#alert-queue")


def test_an_alert_appears_in_the_open_list_live(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "responder")
    page.goto("/alerts/all")
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    expect(queue(page)).not_to_contain_text("Replica lag is high")
    page.wait_for_timeout(500)  # the event stream connects (real time, not domain time)
    console_server.trigger("Replica lag is high", component="postgres")
    expect(queue(page).get_by_role("link", name="Replica lag is high")).to_be_visible()
    check_accessible(page)
    page.get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", name="Alert groups", level=1)).to_be_visible()
    expect(queue(page).get_by_role("row").filter(has_text="checkout")).not_to_have_count(0)
    check_accessible(page)
    screenshot(page, "alerts-list", tmp_path)
    no_problems(page)
    page.context.close()


def test_a_responder_acknowledges_from_a_phone(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    console_server.trigger("Disk almost full on phone-host")
    page = open_page(browser, console_server, "responder", viewport=PHONE)
    page.goto("/alerts/all")
    row = queue(page).get_by_role("row").filter(has_text="Disk almost full on phone-host")
    expect(row).to_be_visible()
    check_accessible(page)
    screenshot(page, "alerts-list-phone", tmp_path)
    row.get_by_role("button", name="Acknowledge").click()
    row = queue(page).get_by_role("row").filter(has_text="Disk almost full on phone-host")
    expect(row).to_contain_text("acknowledged")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    row.get_by_role("link", name="Disk almost full on phone-host").click()
    expect(page.get_by_role("region", name="History")).to_contain_text("bruno")
    check_accessible(page)
    page.get_by_role("link", name="Its group").click()
    expect(page.get_by_role("region", name="Alerts in this group")).to_contain_text(
        "Disk almost full on phone-host"
    )
    check_accessible(page)
    screenshot(page, "alert-group", tmp_path)
    no_problems(page)
    page.context.close()


def test_silence_from_an_alert_with_its_matchers(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    console_server.trigger("Cache misses climbing", component="redis-silence-test")
    page = open_page(browser, console_server, "responder")
    page.goto("/alerts/all")
    queue(page).get_by_role("link", name="Cache misses climbing").click()
    expect(page.get_by_role("heading", name="Cache misses climbing")).to_be_visible()
    check_accessible(page)
    page.get_by_role("link", name="Silence alerts like this").click()
    matchers = page.get_by_label("Matchers, one a line")
    expect(matchers).to_have_value(
        'component="redis-silence-test"\nsource="db-1"\n__service__="checkout"'
    )
    check_accessible(page)
    page.get_by_label("4 hours").check()
    page.get_by_label("Why").fill("Warming the new cache")
    page.get_by_role("button", name="Create silence").click()
    row = page.get_by_role("row").filter(has_text="Warming the new cache")
    expect(row).to_contain_text('component="redis-silence-test"')
    expect(row).to_contain_text("bruno")
    expect(row).to_contain_text("active")
    check_accessible(page)
    screenshot(page, "alerts-silences", tmp_path)
    row.get_by_role("button", name="Expire now").click()
    expect(page.get_by_role("row").filter(has_text="Warming the new cache")).to_have_count(0)
    no_problems(page)
    page.context.close()


def test_a_viewer_sees_no_write_controls(browser: Browser, console_server: ConsoleServer) -> None:
    console_server.trigger("Viewer can only look")
    page = open_page(browser, console_server, "viewer")
    page.goto("/alerts/all")
    expect(queue(page).get_by_role("link", name="Viewer can only look")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    check_accessible(page)
    queue(page).get_by_role("link", name="Viewer can only look").click()
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    expect(page.get_by_role("link", name="Silence alerts like this")).to_have_count(0)
    check_accessible(page)
    page.goto("/alerts/silences")
    expect(page.get_by_role("heading", name="Silences and maintenance windows")).to_be_visible()
    expect(page.get_by_role("button", name="Expire now")).to_have_count(0)
    check_accessible(page)
    no_problems(page)
    page.context.close()
