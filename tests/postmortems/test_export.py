"""A postmortem as Markdown, HTML and PDF, internal and public: sections in order, nothing
internal in the public version, downloads with their types and names, refusals named."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.alerts.support import served
from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    INTERNAL_MARKERS,
    assign,
    declare,
    move,
    postmortem_of,
    public_ready,
    set_up,
)
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

SECTIONS = (
    "Summary",
    "Impact",
    "Timeline",
    "Root cause analysis",
    "Contributing factors",
    "What went well",
    "What went poorly",
    "Where we got lucky",
    "Action items",
    "Lessons learned",
)
PUBLIC_SECTIONS = ("Summary", "Impact", "Timeline", "Root cause analysis", "Action items")


def export(api: TestClient, caller: Caller, ref: str, fmt: str, version: str = "") -> bytes:
    query = f"format={fmt}" + (f"&version={version}" if version else "")
    response = api.get(f"{API}/{ref}/export?{query}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.content


def headings(text: str, marker: str) -> list[str]:
    return re.findall(rf"^{re.escape(marker)} (.+)$", text, flags=re.MULTILINE)


def test_markdown_has_every_section_in_order_with_the_facts(
    api: TestClient, viewer: Caller, responder: Caller, refs: dict[str, str]
) -> None:
    text = export(api, viewer, refs["postmortem"], "markdown").decode()
    assert headings(text, "##") == list(SECTIONS)
    assert text.startswith("# [SEV-2] Payments failing - 2026-03-02\n")
    assert "- **Postmortem:** PM-1 (published)\n- **Incident:** INC-1\n" in text
    assert "- **Published:** 2026-03-02 09:00 UTC\n" in text
    for shown in (
        "- **Severity:** SEV-2",
        f"- **Authors:** {responder.name}",
        "- **Reviewers:** carol (approved)",
        "- **MTTA:** ",
        "- **Revenue impact:** $REVENUE-MARKER",
        "- **Users affected:** 1200",
        "A missing index on the payments table.",
        "### Five Whys",
        "1. **Why did checkout fail?** The pool was exhausted. (timeline #1)",
        "| AI-1 | Add query performance tests to CI | carol | P1 | prevent | 2026-03-20 | Open |",
        *INTERNAL_MARKERS,
    ):
        assert shown in text, shown
    timeline = text.split("## Timeline", 1)[1].split("## Root cause", 1)[0]
    assert "| Time | Event |" in timeline and "declared" in timeline.lower()


def test_the_public_markdown_leaves_out_every_internal_section_and_field(
    api: TestClient, clock: FakeClock, viewer: Caller, responder: Caller, refs: dict[str, str]
) -> None:
    clock.advance(timedelta(days=1))
    later = {"status": "resolved", "body": "A full account follows.", "components": {}}
    posted = api.post(
        f"/api/v1/status-page/incidents/{refs['public']}/updates",
        json=later,
        headers=responder.headers,
    )
    assert posted.status_code == 201, posted.text
    text = export(api, viewer, refs["postmortem"], "markdown", "public").decode()
    assert headings(text, "##") == list(PUBLIC_SECTIONS)
    for hidden in (*INTERNAL_MARKERS, "carol", responder.name, "Severity", "MTT", "#1)", "INC-"):
        assert hidden not in text, hidden
    timeline = text.split("## Timeline", 1)[1].split("## Root cause", 1)[0]
    assert "Investigating: We are investigating failed payments." in timeline
    assert "Resolved: Payments work again." in timeline
    assert "| 2026-03-03 09:00 UTC | Resolved: A full account follows. |" in timeline
    assert "declared" not in timeline.lower()
    assert "| Add query performance tests to CI | Open, due 2026-03-20 |" in text
    assert "- **Users affected:** 1200" in text


def test_html_is_a_standalone_page_without_script_and_the_public_one_hides_the_same(
    api: TestClient, viewer: Caller, refs: dict[str, str]
) -> None:
    page = export(api, viewer, refs["postmortem"], "html").decode()
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert "<style>" in page and "<script" not in page and "@media print" in page
    assert re.findall(r'<h2 id="pm-[a-z_]+">([^<]+)</h2>', page) == list(SECTIONS)
    assert '<th scope="col">Owner</th>' in page and "$REVENUE-MARKER" in page
    public = export(api, viewer, refs["postmortem"], "html", "public").decode()
    assert re.findall(r'<h2 id="pm-[a-z_]+">([^<]+)</h2>', public) == list(PUBLIC_SECTIONS)
    for hidden in (*INTERNAL_MARKERS, "carol", "Owner"):
        assert hidden not in public, hidden


def test_pdf_prints_the_html_with_its_title_and_sections(
    api: TestClient, viewer: Caller, refs: dict[str, str]
) -> None:
    body = export(api, viewer, refs["postmortem"], "pdf")
    assert body.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    flat = " ".join(text.split())
    assert "[SEV-2] Payments failing - 2026-03-02" in flat
    for section in SECTIONS:
        assert section in flat, section
    public = export(api, viewer, refs["postmortem"], "pdf", "public")
    public_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(public)).pages)
    assert "Where we got lucky" not in public_text and "Summary" in public_text


@pytest.mark.parametrize(
    ("fmt", "version", "media", "name"),
    [
        ("markdown", "", "text/markdown; charset=utf-8", "PM-1.md"),
        ("html", "", "text/html; charset=utf-8", "PM-1.html"),
        ("pdf", "", "application/pdf", "PM-1.pdf"),
        ("markdown", "public", "text/markdown; charset=utf-8", "PM-1-public.md"),
        ("pdf", "public", "application/pdf", "PM-1-public.pdf"),
    ],
)
def test_each_format_answers_its_type_and_file_name(
    api: TestClient,
    viewer: Caller,
    refs: dict[str, str],
    fmt: str,
    version: str,
    media: str,
    name: str,
) -> None:
    query = f"format={fmt}" + (f"&version={version}" if version else "")
    response = api.get(f"{API}/{refs['postmortem']}/export?{query}", headers=viewer.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == media
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'


def test_refusals_name_the_format_and_why_a_draft_has_no_public_version(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller
) -> None:
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", responder.name)
    move(api, responder, reference, "responding")
    move(api, responder, reference, "resolved")
    tocsin.engine.run_until_idle()
    ref = postmortem_of(api, admin, reference)["reference"]
    draft = export(api, responder, ref, "markdown").decode()
    assert "## Summary" in draft
    refused = api.get(f"{API}/{ref}/export?format=markdown&version=public", headers=admin.headers)
    assert refused.status_code == 409
    assert "is draft: only a published or closed postmortem" in refused.json()["detail"]
    unknown = api.get(f"{API}/{ref}/export?format=docx", headers=admin.headers)
    assert unknown.status_code == 422 and "format" in unknown.text
    missing = api.get(f"{API}/{ref}/export", headers=admin.headers)
    assert missing.status_code == 422 and "format" in missing.text
    assert api.get(f"{API}/{ref}/export?format=pdf").status_code == 401
    assert api.get(f"{API}/PM-99/export?format=pdf", headers=admin.headers).status_code == 404


def test_the_cli_writes_each_format_and_makes_the_postmortem_public(
    tocsin: Tocsin, api: TestClient, responder: Caller, refs: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    ref = refs["postmortem"]
    with served(tocsin) as url:
        env = {"TOCSIN_URL": url, "TOCSIN_TOKEN": responder.token, "COLUMNS": "200"}

        def tocsin_cli(*args: str, code: int = 0) -> str:
            result = runner.invoke(app, ["postmortem", *args], env=env)
            assert result.exit_code == code, result.output
            return result.output

        target = tmp_path / "pm.pdf"
        assert f"wrote {target}" in tocsin_cli("export", ref, "--format", "pdf", "-o", str(target))
        assert target.read_bytes().startswith(b"%PDF")
        printed = tocsin_cli("export", ref, "--format", "markdown", "--public")
        assert "## Root cause analysis" in printed and "LUCKY-MARKER" not in printed
        assert "postmortem:\n  title:" in tocsin_cli("export", ref)
        assert "name a file" in tocsin_cli("export", ref, "--format", "pdf", code=1)
        page = tmp_path / "pm.html"
        tocsin_cli("export", ref, "--format", "html", "--output", str(page))
        assert '<h2 id="pm-where_we_got_lucky">' in page.read_text()
        quiet = tocsin_cli("make-public", ref)
        assert "is public on the status page since" in quiet and "told" not in quiet
        told = tocsin_cli("make-public", ref, "--notify")
        assert "its subscribers were told" in told
        assert "its subscribers were told" in tocsin_cli("make-public", ref), "once, and kept"
        assert "is no longer on the status page" in tocsin_cli("withdraw-public", ref)
        refused = tocsin_cli("withdraw-public", ref, code=1)
        assert f"{ref} is not public" in refused


NARROW = """
postmortem:
  title: Narrow
  sections:
    - key: summary
    - key: root_cause
      public: false
    - key: what_went_well
      public: true
    - key: customer_note
      title: A word to our customers
      public: true
    - key: lessons_learned
    - key: timeline
    - key: action_items
"""


def test_a_template_says_which_sections_are_public(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller, tmp_path: Path
) -> None:
    (tmp_path / "config" / "narrow.yaml").write_text(NARROW)
    set_up(tocsin, tmp_path / "config", "postmortems:\n  template: narrow\n")
    written = {"extra": {"customer_note": "We are sorry."}, "what_went_well": ["Paging was quick"]}
    ref = public_ready(api, tocsin, admin, responder, written)["postmortem"]
    internal = export(api, admin, ref, "markdown").decode()
    assert headings(internal, "##") == [
        "Summary",
        "Root cause analysis",
        "What went well",
        "A word to our customers",
        "Lessons learned",
        "Timeline",
        "Action items",
    ]
    text = export(api, admin, ref, "markdown", "public").decode()
    assert headings(text, "##") == [
        "Summary",
        "What went well",
        "A word to our customers",
        "Timeline",
        "Action items",
    ]
    assert "We are sorry." in text and "- Paging was quick" in text
    assert "A missing index" not in text
