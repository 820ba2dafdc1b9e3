"""A postmortem in a real browser: edit the draft, see the blame flags, submit for review, and
approve it as another person; every page passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from tests.console.browser import (
    ConsoleServer,
    check_accessible,
    no_problems,
    open_page,
    screenshot,
)
from tests.support.processes import wait_for


def _drafted(server: ConsoleServer) -> dict[str, Any]:
    """A SEV-2 on checkout commanded by bruno and resolved; its postmortem once drafted."""
    declared = server.api(
        "POST",
        "/api/v1/incidents",
        json={"title": "Card payments time out", "severity": "SEV-2", "services": ["checkout"]},
    )
    assert declared.status_code == 201, declared.text
    reference = declared.json()["reference"]
    for path, body in (
        ("roles", {"role": "incident_commander", "user": "bruno"}),
        ("status", {"status": "responding"}),
        ("status", {"status": "resolved"}),
    ):
        answer = server.api("POST", f"/api/v1/incidents/{reference}/{path}", json=body)
        assert answer.status_code == 200, answer.text
    found: dict[str, Any] = {}

    def drafted() -> bool:
        answer = server.api("GET", f"/api/v1/incidents/{reference}/postmortem")
        found.update(answer.json() if answer.status_code == 200 else {})
        return answer.status_code == 200

    wait_for(drafted, timeout=30, what=f"the postmortem of {reference} to be drafted")
    return found


def test_edit_see_blame_flags_submit_and_approve_as_another_person(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    drafted = _drafted(console_server)
    reference = drafted["reference"]
    page = open_page(browser, console_server, "responder")
    page.goto("/postmortems")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    check_accessible(page)

    page.get_by_role("link", name="Edit the draft").click()
    expect(page.get_by_role("heading", name=f"Edit {reference}")).to_be_visible()
    expect(page.get_by_text("No sentence reads as blame.")).to_be_visible()
    page.get_by_role("region", name="Summary").get_by_role("textbox").fill(
        "Card payments timed out for 40 minutes. bruno forgot to raise the pool size. "
        "It was human error."
    )
    page.get_by_label("Contributing factors (one point per line)").fill(
        "The pool size was set for last year's traffic"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    page.get_by_role("link", name="Edit the draft").click()
    language = page.get_by_role("region", name="Language check")
    expect(language).to_contain_text("2 sentences may read as blame.")
    expect(language.locator("mark").first).to_have_text("bruno forgot to")
    expect(language).to_contain_text("Make the system the subject")
    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("2 sentences here may read as blame")
    check_accessible(page)
    screenshot(page, "postmortem-edit", tmp_path)

    page.get_by_role("link", name=reference).first.click()
    review = page.get_by_role("region", name="Review", exact=True)
    expect(review).to_contain_text("2 sentences may read as blame.")
    review.get_by_label("alice").check()
    review.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("region", name="Review", exact=True)).to_contain_text("alice: pending")
    expect(page.get_by_role("region", name="About")).to_contain_text("in review")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    no_problems(page)
    page.context.close()

    other = open_page(browser, console_server, "admin")
    other.goto(f"/postmortems/{reference}")
    review = other.get_by_role("region", name="Review", exact=True)
    expect(review).to_contain_text("2 sentences may read as blame.")
    check_accessible(other)
    review.get_by_label("Your comment (needed to request changes)").fill(
        "Agreed as written; the flags are quotes from the timeline."
    )
    review.get_by_role("button", name="Approve").click()
    review = other.get_by_role("region", name="Review", exact=True)
    expect(review).to_contain_text("alice: approved")
    expect(review.get_by_role("button", name="Publish")).to_be_visible()
    check_accessible(other)
    screenshot(other, "postmortem-review", tmp_path)
    versions = other.get_by_role("region", name="Versions")
    expect(versions).to_contain_text("approved")
    expect(versions).to_contain_text("submitted")
    no_problems(other)
    other.context.close()
