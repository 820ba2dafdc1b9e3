"""Templates: drafts and previews, clear errors naming the line, and a sandbox public data only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.statuspage.support import declare, ok, set_up
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.domain.refusals import Invalid
from tocsin.incidents import records
from tocsin.kernel.clock import FakeClock
from tocsin.statuspage import drafting
from tocsin.statuspage.config_schema import TemplateName

TEN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
MARKER = "INTERNAL-MARKER"
#: Paris, and a no_update template of the team's own.
SETTINGS = """
  time_zone: Europe/Paris
  templates:
    no_update: "Still on it: {{ incident.name }}. Next update by {{ next_update }} ({{ zone }})."
"""


@pytest.fixture
def api(tocsin: Tocsin, clock: FakeClock, tmp_path: Path) -> Iterator[TestClient]:
    clock.set(TEN)
    set_up(tocsin, tmp_path, SETTINGS)
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def published(api: TestClient, caller: Caller) -> tuple[str, str]:
    """A SEV-1 with internal notes, published at 10:00 as "Checkout errors"."""
    response = api.post(
        "/api/v1/incidents",
        json={
            "title": f"{MARKER} title: db-7 swapping",
            "severity": "SEV-1",
            "services": ["checkout"],
            "summary": f"{MARKER} summary",
        },
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    api.post(
        f"/api/v1/incidents/{reference}/notes",
        json={"text": f"{MARKER} note: restarted db-7", "kind": "action"},
        headers=caller.headers,
    )
    public = ok(
        api.post(
            f"/api/v1/incidents/{reference}/publish",
            json={
                "name": "Checkout errors",
                "body": "We are investigating.",
                "components": {"Checkout": "major_outage", "Payments API": "partial_outage"},
            },
            headers=caller.headers,
        ),
        201,
    )
    return reference, str(public["id"])


def preview(
    api: TestClient, caller: Caller, reference: str, text: str, template: str = "investigating"
) -> Any:
    return api.post(
        f"/api/v1/status-page/drafts/{reference}/preview",
        json={"template": template, "text": text},
        headers=caller.headers,
    )


def error_of(response: Any) -> str:
    assert response.status_code == 422, response.text
    message: str = response.json()["detail"][0]["msg"]
    return message


def test_default_drafts_are_plain_words_with_the_next_update_in_the_pages_zone(
    api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference, _ = published(api, responder)
    clock.set(TEN + timedelta(minutes=5))
    draft = ok(
        api.get(f"/api/v1/status-page/drafts/{reference}/investigating", headers=responder.headers)
    )
    assert draft == {
        "template": "investigating",
        "public": True,
        "text": "We are investigating a problem with Checkout and Payments API. "
        "We will post an update by 11:20 CET.",
    }
    resolved = ok(
        api.get(f"/api/v1/status-page/drafts/{reference}/resolved", headers=responder.headers)
    )
    assert resolved["text"] == (
        "The problem with Checkout and Payments API is resolved. It lasted 5 minutes. "
        "We are sorry for the trouble this caused."
    )
    report = ok(
        api.get(
            f"/api/v1/status-page/drafts/{reference}/internal_report", headers=responder.headers
        )
    )
    assert report["public"] is False and f"{MARKER} note: restarted db-7" in report["text"]


def test_every_template_drafts_and_no_public_one_sees_internal_data(
    api: TestClient, responder: Caller
) -> None:
    reference, _ = published(api, responder)
    for name in TemplateName:
        text = ok(
            api.get(
                f"/api/v1/status-page/drafts/{reference}/{name.value}", headers=responder.headers
            )
        )["text"]
        assert text.strip()
        if name in drafting.PUBLIC_TEMPLATES:
            assert MARKER not in text, name


def test_the_public_context_holds_nothing_internal(
    tocsin: Tocsin, api: TestClient, responder: Caller
) -> None:
    reference, _ = published(api, responder)
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        subject = drafting.subject_of(session, incident)
        public = drafting.context_for(session, TemplateName.NO_UPDATE, subject, TEN)
        internal = drafting.context_for(session, TemplateName.INTERNAL_REPORT, subject, TEN)
    assert MARKER not in json.dumps(public)
    assert "internal" not in public
    assert MARKER in json.dumps(internal), "the same incident's internal context has it"


def test_a_public_template_that_reaches_for_internal_data_gets_an_error(
    api: TestClient, responder: Caller
) -> None:
    reference, _ = published(api, responder)
    reach = (
        "Status: {{ incident.status }}\n{% for e in internal.timeline %}{{ e.text }}{% endfor %}"
    )
    assert error_of(preview(api, responder, reference, reach)) == "line 2: 'internal' is undefined"
    for template in ("no_update", "customer_notification", "resolved"):
        response = preview(api, responder, reference, "{{ internal.title }}", template)
        assert "'internal' is undefined" in error_of(response)
    assert "'dict object' has no attribute 'title'" in error_of(
        preview(api, responder, reference, "{{ incident.title }}")
    ), "the internal title is not among the public incident's keys"
    report = ok(preview(api, responder, reference, reach, "internal_report"))
    assert MARKER in report["text"] and report["public"] is False


#: Broken templates and the message their preview answers.
BROKEN = [
    ("Hello\n{{ incident.name }", "line 2: unexpected '}'"),
    ("One\nTwo\n{% if next_update %}Three", "line 3: Unexpected end of template"),
    ("Fine\n{{ incident.nowhere }}", "line 2: 'dict object' has no attribute 'nowhere'"),
    ("{{ nothing_like_this }}", "line 1: 'nothing_like_this' is undefined"),
    ("{% for i in range(10) %}x{% endfor %}", "line 1: 'range' is undefined"),
    ("{{ 'a' * 100000 }}", "line 1: repetitions are limited to 1000 items"),
    ("{{ 9 ** 999999 }}", "line 1: exponents are limited to 64"),
    ("{{ '   ' }}", "makes an empty message"),
]
#: Ways out of the sandbox, or into the context's data, that must be refused.
ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ incident.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ incident.components.clear() }}",
    "{% set _ = incident.update({'name': 'x'}) %}{{ incident.name }}",
    "{{ joiner.__init__.__globals__.__builtins__ }}",
]


def test_template_errors_are_422s_naming_the_line(api: TestClient, responder: Caller) -> None:
    reference, _ = published(api, responder)
    for text, message in BROKEN:
        assert message in error_of(preview(api, responder, reference, text)), text


def test_sandbox_escapes_are_refused(api: TestClient, responder: Caller) -> None:
    reference, _ = published(api, responder)
    for escape in ESCAPES:
        message = error_of(preview(api, responder, reference, escape, "internal_report"))
        assert message.startswith("line 1: "), (escape, message)
        assert "unsafe" in message or "undefined" in message, (escape, message)


def test_previews_need_a_responder_and_an_existing_incident(
    api: TestClient, responder: Caller, viewer: Caller
) -> None:
    reference, _ = published(api, responder)
    assert preview(api, viewer, reference, "x").status_code == 403
    assert preview(api, responder, "INC-999", "x").status_code == 404
    unknown = api.get(f"/api/v1/status-page/drafts/{reference}/nonsense", headers=viewer.headers)
    assert unknown.status_code == 422


def test_a_configured_template_replaces_the_default_and_a_no_update_update_uses_it(
    api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    _reference, code = published(api, responder)
    clock.set(TEN + timedelta(minutes=12))
    public = ok(
        api.post(f"/api/v1/status-page/incidents/{code}/no-update", headers=responder.headers), 201
    )
    assert public["updates"][0]["body"] == (
        "Still on it: Checkout errors. Next update by 11:27 (CET)."
    )
    assert public["updates"][0]["status"] == "investigating"
    resolved = api.post(
        f"/api/v1/status-page/incidents/{code}/updates",
        json={"status": "resolved", "body": "Fixed."},
        headers=responder.headers,
    )
    assert resolved.status_code == 201
    again = api.post(f"/api/v1/status-page/incidents/{code}/no-update", headers=responder.headers)
    assert again.status_code == 409, "nothing to promise once resolved"


def test_an_unpublished_incident_drafts_under_the_name_given(
    api: TestClient, responder: Caller
) -> None:
    reference = declare(api, responder)
    path = f"/api/v1/status-page/drafts/{reference}/preview"
    named = ok(
        api.post(
            path,
            json={"template": "investigating", "text": "{{ incident.name }}", "name": "Slow pages"},
            headers=responder.headers,
        )
    )
    assert named["text"] == "Slow pages"
    anonymous = ok(
        api.get(f"/api/v1/status-page/drafts/{reference}/identified", headers=responder.headers)
    )
    assert "Payments failing" not in anonymous["text"]


def test_render_and_durations() -> None:
    assert drafting.render("{{ a }}\n", {"a": "b"}) == "b"
    with pytest.raises(Invalid, match="line 3"):
        drafting.render("a\nb\n{{ c.d }}", {"c": {}})
    assert drafting.duration_text(timedelta(seconds=30)) == "less than a minute"
    assert drafting.duration_text(timedelta(hours=1, minutes=5)) == "1 hour 5 minutes"
    assert drafting.duration_text(timedelta(days=2, hours=1, minutes=7)) == "2 days 1 hour"
