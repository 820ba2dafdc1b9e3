"""On call in a real browser: who is on call, the calendar, an override, a fairness refusal."""

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

CALENDAR = "/oncall/schedules/payments-oncall"


def test_now_and_next_and_my_shifts(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "responder")
    page.goto("/oncall")
    # Monday 2026-06-01 09:00 UTC: bruno holds europe this week, alice takes it next.
    europe = page.get_by_role("row", name="payments-oncall europe bruno")
    expect(europe).to_contain_text("alice")
    check_accessible(page)
    screenshot(page, "oncall-now", tmp_path)

    page.get_by_role("link", name="My shifts").click()
    expect(page.get_by_role("region", name="The next four weeks")).to_contain_text("europe")
    page.get_by_role("button", name="Make a feed of my shifts").click()
    feed = page.locator("#feed-url")
    expect(feed).to_contain_text("/ical/")
    calendar = httpx.get(feed.inner_text().strip(), timeout=10)
    assert calendar.status_code == 200 and "BEGIN:VEVENT" in calendar.text
    check_accessible(page)
    page.get_by_role("link", name="Load report").click()
    expect(page.get_by_role("heading", name="On-call load")).to_be_visible()
    check_accessible(page)
    no_problems(page)
    page.context.close()


def test_an_override_from_the_calendar_and_a_fairness_refusal_with_its_reason(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "responder")
    page.goto(CALENDAR + "?start=2026-06-08")
    week = page.get_by_role("region", name="Week of 08 Jun 2026")
    expect(week).to_contain_text("europe: alice")
    check_accessible(page)
    screenshot(page, "oncall-calendar-week", tmp_path)

    override = page.get_by_role("region", name="Put someone on call")
    override.get_by_label("Layer").select_option("secondary")
    override.get_by_label("Who").select_option("dana")
    override.get_by_label("From").fill("2026-06-09T10:00")
    override.get_by_label("To").fill("2026-06-09T18:00")
    override.get_by_label("Reason").fill("Covering a dentist appointment")
    override.get_by_role("button", name="Add override").click()
    tuesday = page.locator(".day").nth(1)
    expect(tuesday.locator(".shift.override")).to_contain_text("secondary: dana")

    # Three weeks of europe in a row for bruno breaks max_consecutive_days: 14.
    override = page.get_by_role("region", name="Put someone on call")
    override.get_by_label("Layer").select_option("europe")
    override.get_by_label("Who").select_option("bruno")
    override.get_by_label("From").fill("2026-06-08T07:00")
    override.get_by_label("To").fill("2026-06-22T19:00")
    override.get_by_role("button", name="Add override").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Not done")
    expect(refusal).to_contain_text("consecutive")
    expect(page.get_by_label("Who").first).to_have_value("bruno")
    check_accessible(page)
    no_problems(page)
    page.context.close()


def test_a_viewer_reads_the_month_on_a_phone_without_forms(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "viewer", viewport=PHONE)
    page.goto(CALENDAR + "?view=month&start=2026-06-01")
    expect(page.get_by_role("heading", name="June 2026")).to_be_visible()
    expect(page.get_by_role("button", name="Add override")).to_have_count(0)
    expect(page.get_by_role("button", name="Request swap")).to_have_count(0)
    check_accessible(page)
    screenshot(page, "oncall-calendar-phone", tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "oncall-calendar-month", tmp_path)
    no_problems(page)
    page.context.close()


def test_a_swap_asked_from_the_calendar_is_accepted_by_the_person_asked(
    browser: Browser, console_server: ConsoleServer
) -> None:
    # Bruno holds europe this week (2026-06-01 to 06-08); he asks alice to cover Wednesday.
    bruno = open_page(browser, console_server, "responder")
    bruno.goto(CALENDAR + "?start=2026-06-01")
    ask = bruno.get_by_role("region", name="Ask someone to cover your shift")
    ask.get_by_label("Layer").select_option("europe")
    ask.get_by_label("Who covers").select_option("alice")
    ask.get_by_label("From").fill("2026-06-03T09:00")
    ask.get_by_label("To").fill("2026-06-03T17:00")
    ask.get_by_label("Message").fill("School play")
    with bruno.expect_response(lambda answer: answer.request.method == "POST"):
        ask.get_by_role("button", name="Request swap").click()
    bruno.goto("/oncall/me")
    asked = bruno.get_by_role("region", name="Swap requests")
    expect(asked).to_contain_text("bruno asks alice to cover payments-oncall/europe")
    expect(asked.get_by_role("button", name="Accept")).to_have_count(0)
    expect(asked.get_by_role("button", name="Withdraw the swap of 03 Jun")).to_be_visible()
    bruno.context.close()

    alice = open_page(browser, console_server, "admin")
    alice.goto("/oncall/me")
    mine = alice.get_by_role("region", name="Swap requests")
    mine.get_by_role("button", name="Accept the swap of 03 Jun").click()
    expect(alice.get_by_role("region", name="Swap requests")).to_contain_text("accepted")
    check_accessible(alice)
    alice.goto(CALENDAR + "?start=2026-06-01")
    wednesday = alice.locator(".day").nth(2)
    expect(wednesday.locator(".shift.override")).to_contain_text("europe: alice")
    no_problems(alice)
    alice.context.close()
