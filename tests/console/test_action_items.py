"""Action items in a real browser: create one directly, filter to overdue, mark it done; every
page passes axe-core."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.console.browser import ConsoleServer, check_accessible, open_page, screenshot

WHAT = "Alert when the card processor's latency doubles"


def test_create_an_item_directly_filter_to_overdue_and_mark_it_done(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "responder")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Action items").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action items")
    check_accessible(page)

    form = page.get_by_role("region", name="New action item")
    form.get_by_label("What to do").fill(WHAT)
    form.get_by_label("Owner").select_option("bruno")
    form.get_by_label("Team").select_option("payments")
    form.get_by_label("Type").select_option("detect")
    form.get_by_label("Due").fill("2026-05-20")  # the demo's clock reads 2026-06-01
    form.get_by_role("button", name="Create action item").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(WHAT)
    reference = heading.inner_text().split(":", 1)[0]
    about = page.get_by_role("region", name="About")
    expect(about).to_contain_text("overdue")
    expect(about).to_contain_text("payments")
    check_accessible(page)

    page.goto("/action-items")
    filters = page.get_by_role("form", name="Filters")
    filters.get_by_label("Overdue").check()
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"overdue=true"))
    row = page.get_by_role("row").filter(has_text=WHAT)
    expect(row).to_contain_text("overdue")
    check_accessible(page)
    screenshot(page, "action-items", tmp_path)
    row.get_by_role("link", name=reference).click()

    edit = page.get_by_role("region", name="Change it")
    edit.get_by_label("Status").select_option("done")
    edit.get_by_role("button", name=f"Save {reference}").click()
    expect(page.get_by_role("region", name="About")).to_contain_text("done")
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text(f"{reference} changed: status open → done")
    expect(history).to_contain_text("bruno")

    page.goto("/action-items?overdue=true")
    expect(page.get_by_role("row").filter(has_text=WHAT)).to_have_count(0)
    expect(page.get_by_text("None with these filters.")).to_be_visible()
