"""A postmortem published publicly from the console: its public page on the status page
renders without signing in, links back to the incident, and passes axe-core."""

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


def _call(server: ConsoleServer, method: str, path: str, expected: int, **body: Any) -> Any:
    answer = server.api(method, path, json=body)
    assert answer.status_code == expected, answer.text
    return answer.json()


def _in_review(server: ConsoleServer) -> tuple[str, str]:
    """A SEV-2 told on the status page and resolved there; its postmortem waiting for bruno."""
    reference = _call(
        server,
        "POST",
        "/api/v1/incidents",
        201,
        title="Card payments time out after a deploy",
        severity="SEV-2",
        services=["checkout"],
    )["reference"]
    code = _call(
        server,
        "POST",
        f"/api/v1/incidents/{reference}/publish",
        201,
        name="Card payments failing",
        body="Some card payments fail; we are looking into it.",
        components={"Checkout": "partial_outage"},
    )["id"]
    _call(server, "POST", f"/api/v1/incidents/{reference}/status", 200, status="responding")
    _call(
        server,
        "POST",
        f"/api/v1/status-page/incidents/{code}/updates",
        201,
        status="resolved",
        body="Card payments work again.",
        components={},
    )
    _call(server, "POST", f"/api/v1/incidents/{reference}/status", 200, status="resolved")

    def drafted() -> bool:
        return server.api("GET", f"/api/v1/incidents/{reference}/postmortem").status_code == 200

    wait_for(drafted, timeout=30, what=f"the postmortem of {reference} to be drafted")
    pm = server.api("GET", f"/api/v1/incidents/{reference}/postmortem").json()["reference"]
    _call(
        server,
        "PATCH",
        f"/api/v1/postmortems/{pm}",
        200,
        root_cause="A connection pool sized for last year's traffic.",
        where_we_got_lucky=["It happened at night"],
    )
    _call(
        server,
        "POST",
        f"/api/v1/postmortems/{pm}/action-items",
        201,
        description="Size the pool from measured traffic",
        owner="bruno",
        type="prevent",
    )
    _call(server, "POST", f"/api/v1/postmortems/{pm}/submit", 200, reviewers=["bruno"])
    return pm, code


def test_publish_publicly_and_read_the_public_page_without_signing_in(
    browser: Browser, console_server: ConsoleServer, tmp_path: Path
) -> None:
    pm, code = _in_review(console_server)
    page = open_page(browser, console_server, "responder")
    page.goto(f"/postmortems/{pm}")
    files = page.get_by_role("region", name="Download and share")
    expect(files.get_by_role("link", name="PDF", exact=True)).to_have_attribute(
        "href", f"/api/v1/postmortems/{pm}/export?format=pdf"
    )
    expect(files).to_contain_text("Once it is published")
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    files = page.get_by_role("region", name="Download and share")
    expect(files.get_by_role("link", name="PDF (public)")).to_be_visible()
    pdf = page.request.get(f"/api/v1/postmortems/{pm}/export?format=pdf&version=public")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    for version in ("internal", "public"):
        exported = page.request.get(
            f"/api/v1/postmortems/{pm}/export?format=html&version={version}"
        )
        offline = page.context.new_page()
        offline.set_content(exported.text())
        expect(offline.get_by_role("heading", name="Root cause analysis")).to_be_visible()
        check_accessible(offline)
        offline.close()
    expect(files.get_by_role("checkbox", name="Tell the status page's subscribers")).to_be_checked()
    files.get_by_role("button", name="Publish publicly").click()
    files = page.get_by_role("region", name="Download and share")
    expect(files).to_contain_text("On the status page since")
    expect(files).to_contain_text("The status page's subscribers were told")
    expect(files.get_by_role("checkbox")).to_have_count(0)
    expect(files.get_by_role("button", name="Withdraw from the status page")).to_be_visible()
    check_accessible(page)
    no_problems(page)
    page.context.close()

    reader = browser.new_context(base_url=console_server.url, java_script_enabled=False)
    public = reader.new_page()
    public.goto(f"/status/incidents/{code}")
    public.get_by_role("link", name="Read the postmortem").click()
    expect(public).to_have_url(f"{console_server.url}/status/incidents/{code}/postmortem")
    expect(public.get_by_role("heading", level=1)).to_contain_text("Postmortem: [SEV-2]")
    for heading in ("Summary", "Impact", "Timeline", "Root cause analysis", "Action items"):
        expect(public.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(public.get_by_text("Card payments work again.")).to_be_visible()
    expect(public.get_by_text("Size the pool from measured traffic")).to_be_visible()
    expect(public.get_by_text("It happened at night")).to_have_count(0)
    expect(public.get_by_text("bruno")).to_have_count(0)
    reader.close()

    scripted = browser.new_context(base_url=console_server.url)
    public = scripted.new_page()
    public.goto(f"/status/incidents/{code}/postmortem")
    check_accessible(public)
    screenshot(public, "postmortem-public", tmp_path)
    public.get_by_role("link", name="Card payments failing").click()
    expect(public.get_by_role("heading", level=1)).to_have_text("Card payments failing")
    scripted.close()
