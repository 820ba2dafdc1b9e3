"""Security headers: no framing, no sniffing, no referrer, and a CSP without inline code."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.web.headers import OTHER_POLICY, PAGE_POLICY

TEMPLATES = Path(__file__).parents[2] / "tocsin" / "web" / "templates"


def assert_protected(headers: dict[str, str], policy: str) -> None:
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == policy
    assert "frame-ancestors 'none'" in policy


def test_html_pages_get_a_strict_policy_without_inline_code(client: TestClient) -> None:
    assert "unsafe-inline" not in PAGE_POLICY and "unsafe-eval" not in PAGE_POLICY
    assert "script-src 'self'" in PAGE_POLICY
    for path, code in (("/login", 200), ("/status", 200), ("/ack/no-such-link", 404)):
        answer = client.get(path)
        assert answer.status_code == code, path
        assert answer.headers["content-type"].startswith("text/html")
        assert_protected(dict(answer.headers), PAGE_POLICY)


def test_the_ack_page_cannot_be_framed_after_posting_either(client: TestClient) -> None:
    answer = client.post("/ack/no-such-link")
    assert answer.status_code == 404
    assert_protected(dict(answer.headers), PAGE_POLICY)


def test_api_answers_static_files_and_redirects_are_not_documents(
    client: TestClient, viewer: Caller
) -> None:
    for answer in (
        client.get("/api/v1/users", headers=viewer.headers),
        client.get("/api/v1/users"),
        client.get("/static/tocsin.css"),
        client.get("/", follow_redirects=False),
        client.get("/healthz"),
    ):
        assert answer.status_code in (200, 303, 401), answer.url
        assert_protected(dict(answer.headers), OTHER_POLICY)


def test_a_route_may_set_its_own_policy_and_keeps_the_other_headers(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    def own() -> HTMLResponse:
        return HTMLResponse("<p>own</p>", headers={"Content-Security-Policy": "default-src 'self'"})

    app.add_api_route("/own-policy", own)
    answer = client.get("/own-policy")
    assert answer.headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_templates_carry_no_inline_script_style_or_handlers() -> None:
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
    )
    for template in sorted(TEMPLATES.glob("*.html")):
        found = inline.search(template.read_text())
        assert found is None, f"{template.name}: {found.group(0) if found else ''}"
