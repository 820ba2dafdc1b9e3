"""Running an incident in a real browser: declare, roles, notes, checklist, mitigate, resolve."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.console.browser import (
    PHONE,
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
    screenshot,
)


def _declare(page: Page, title: str) -> str:
    page.goto("/incidents/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Users affected (%)").fill("60")
    page.get_by_label("A complete outage").check()
    page.get_by_role("button", name="Suggest severity").click()
    expect(page.get_by_role("status")).to_contain_text("Suggested: SEV-1")
    expect(page.get_by_label("Severity", exact=True)).to_have_value("SEV-1")
    expect(page.get_by_label("Title")).to_have_value(title)
    page.get_by_role("button", name="Declare", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url.rsplit("/", 1)[1]


def _assign(page: Page, role: str, person: str) -> None:
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_label("Person").select_option(person)
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("region", name="Roles")).to_contain_text(f"{role}: {person}")


def test_declare_assign_note_tick_mitigate_resolve_by_clicks_and_keys(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    page = open_page(browser, console_server, "admin")
    page.goto("/incidents/new")
    check_accessible(page)
    screenshot(page, "incident-declare", tmp_path)
    reference = _declare(page, "Checkout returns 500s")
    assert reference.startswith("INC-")

    for role, person in (
        ("incident commander", "alice"),
        ("communications lead", "bruno"),
        ("operations lead", "chen"),
        ("scribe", "dana"),
    ):
        _assign(page, role, person)

    page.locator("body").press("n")
    expect(page.get_by_label("Note", exact=True)).to_be_focused()
    page.keyboard.type("Error rate 40% on eu-west since 08:55")
    page.get_by_role("button", name="Add note", exact=True).click()
    timeline = page.get_by_role("region", name="Timeline, newest first")
    expect(timeline).to_contain_text("Error rate 40% on eu-west since 08:55")
    page.get_by_label("Note", exact=True).fill("Roll back the 08:50 deploy")
    page.get_by_label("Kind").select_option("decision")
    page.get_by_role("button", name="Add note", exact=True).click()
    expect(timeline.locator("li").first).to_contain_text("decision")

    checklist = page.get_by_role("region", name="Checklist")
    first = checklist.get_by_role("button", name="Tick").first
    first.click()
    expect(checklist.get_by_role("heading")).to_contain_text("(1 of")

    page.locator("body").press("a")
    expect(page.locator("#status")).to_have_text("responding")
    page.locator("body").press("s")
    expect(page.get_by_label("Move to")).to_be_focused()
    page.get_by_label("Move to").select_option("mitigated")
    page.get_by_role("button", name="Change status", exact=True).click()
    expect(page.locator("#status")).to_have_text("mitigated")
    check_accessible(page)
    screenshot(page, "incident-page", tmp_path)
    page.get_by_label("Move to").select_option("resolved")
    page.get_by_role("button", name="Change status", exact=True).click()
    expect(page.locator("#status")).to_have_text("resolved")
    expect(timeline).to_contain_text("resolved")

    page.goto("/incidents?status=resolved")
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    check_accessible(page)
    screenshot(page, "incidents-list", tmp_path)
    no_problems(page)
    page.context.close()


def test_a_note_added_in_one_browser_appears_in_another_within_a_second(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    writer = open_page(browser, console_server, "responder")
    reference = _declare(writer, "Login page slow")
    watcher = open_page(browser, console_server, "viewer", viewport=PHONE)
    watcher.goto(f"/incidents/{reference}")
    expect(watcher.get_by_role("heading", level=1)).to_have_text("Login page slow")
    # The watcher's event stream is open before the note is written.
    expect(watcher.locator("[sse-connect]")).to_have_attribute("data-live", "open")

    writer.get_by_label("Note", exact=True).fill("p99 latency 4 s on the login API")
    writer.get_by_role("button", name="Add note", exact=True).click()
    expect(writer.get_by_role("region", name="Timeline, newest first")).to_contain_text(
        "p99 latency 4 s"
    )
    expect(watcher.get_by_text("p99 latency 4 s on the login API")).to_be_visible(timeout=1000)
    expect(watcher.get_by_role("button", name="Add note", exact=True)).to_have_count(0)
    check_accessible(watcher)
    screenshot(watcher, "incident-page-phone", tmp_path)
    no_problems(watcher)
    no_problems(writer)
    writer.context.close()
    watcher.context.close()


def test_a_refused_change_says_why_and_bad_input_names_the_field(
    browser: Browser, console_server: ConsoleServer
) -> None:
    page = open_page(browser, console_server, "responder")
    page.goto("/incidents/new")
    page.get_by_role("button", name="Declare", exact=True).click(no_wait_after=True)
    # An empty title never leaves the browser (required); past it, the server names it too.
    page.get_by_label("Title").fill("   ")
    page.get_by_role("button", name="Declare", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("title")
    reference = _declare(page, "Queue backlog")
    page.get_by_label("Move to").select_option("resolved")
    page.get_by_role("button", name="Change status", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Not done")
    check_accessible(page)
    page.goto(f"/incidents/{reference}")
    expect(page.locator("#status")).to_have_text("triage")
    page.context.close()
