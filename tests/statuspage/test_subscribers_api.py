"""The subscriber API: admins only, no secret in listings, keyset pages, CSV out and in."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Caller
from tests.statuspage import test_subscribers as emailing
from tests.statuspage.support import ok
from tests.statuspage.test_subscribers import links
from tests.support.sinks import SmtpSink
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.statuspage.tables import Subscriber

#: The fixtures of the email tests: an SMTP server, the app without its background engine.
smtp, web = emailing.smtp, emailing.web
API = "/api/v1/status-page/subscribers"
SLACK = "https://hooks.slack.example/services/T000/B000/SLACKSECRETTOKEN"


def create(client: TestClient, caller: Caller, **body: object) -> dict[str, object]:
    return dict(ok(client.post(API, json=body, headers=caller.headers), 201))


def count(tocsin: Tocsin) -> int:
    with tocsin.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def test_only_admins_see_or_change_subscribers(
    web: TestClient, viewer: Caller, responder: Caller, admin: Caller
) -> None:
    create(web, admin, channel="email", address="someone@example.com", confirmed=True)
    for caller in (viewer, responder):
        assert web.get(API, headers=caller.headers).status_code == 403
        assert web.get(f"{API}.csv", headers=caller.headers).status_code == 403
        assert web.post(f"{API}.csv", content=b"email\n", headers=caller.headers).status_code == 403
        created = web.post(
            API, json={"channel": "webhook", "address": SLACK}, headers=caller.headers
        )
        assert created.status_code == 403
    assert web.get(API).status_code == 401
    assert "someone@example.com" not in web.get("/status").text


def test_listings_hide_secrets_and_page_by_keyset(
    tocsin: Tocsin, web: TestClient, admin: Caller
) -> None:
    hook = create(
        web,
        admin,
        channel="webhook",
        address="https://receiver.example/hooks/abc?token=HOOKSECRET",
        owner_email="owner@example.com",
    )
    secret = str(hook["secret"])
    assert secret.startswith("whsec_") and len(secret) > 40
    create(web, admin, channel="slack", address=SLACK, components=["Checkout"])
    create(web, admin, channel="teams", address="https://teams.example/webhook/TEAMSSECRET")
    create(web, admin, channel="email", address="mail@example.com", confirmed=True)

    first = ok(web.get(API, params={"limit": 3}, headers=admin.headers))
    assert len(first["subscribers"]) == 3 and first["next_cursor"]
    rest = ok(
        web.get(API, params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin.headers)
    )
    assert len(rest["subscribers"]) == 1 and rest["next_cursor"] is None
    listed = {s["channel"]: s for s in first["subscribers"] + rest["subscribers"]}
    text = str(listed)
    for hidden in (secret, "HOOKSECRET", "SLACKSECRETTOKEN", "TEAMSSECRET"):
        assert hidden not in text
    assert listed["webhook"]["address"] == "https://receiver.example/…"
    assert listed["webhook"]["secret_hint"] == secret[:10] + "…"
    assert listed["slack"]["components"] == ["Checkout"]
    assert listed["email"]["address"] == "mail@example.com"
    assert all(s["confirmed_at"] for s in listed.values())
    only = ok(web.get(API, params={"channel": "slack"}, headers=admin.headers))
    assert [s["channel"] for s in only["subscribers"]] == ["slack"]
    assert (
        web.post(
            API, json={"channel": "slack", "address": SLACK}, headers=admin.headers
        ).status_code
        == 409
    )
    bad = web.post(
        API,
        json={"channel": "webhook", "address": SLACK, "components": ["Nope"]},
        headers=admin.headers,
    )
    assert bad.status_code == 422


def test_an_admin_created_email_gets_the_opt_in_unless_confirmed_is_said(
    tocsin: Tocsin, web: TestClient, admin: Caller, smtp: SmtpSink
) -> None:
    pending = create(web, admin, channel="email", address="optin@example.com")
    agreed = create(web, admin, channel="email", address="agreed@example.com", confirmed=True)
    assert pending["confirmed_at"] is None and agreed["confirmed_at"] is not None
    tocsin.engine.run_until_idle()
    (mail,) = smtp.to("optin@example.com")
    assert "confirm" in links(mail)
    assert smtp.to("agreed@example.com") == []


def _without_times(text: str) -> list[str]:
    """The CSV's lines without their last column (created_at), sorted."""
    return sorted(line.rsplit(",", 1)[0] for line in text.splitlines())


def test_csv_round_trip(tocsin: Tocsin, web: TestClient, admin: Caller, smtp: SmtpSink) -> None:
    create(
        web, admin, channel="email", address="a@example.com", confirmed=True, components=["Search"]
    )
    create(web, admin, channel="email", address="b@example.com", page="partners", confirmed=True)
    create(web, admin, channel="slack", address=SLACK, owner_email="o@example.com")
    exported = web.get(f"{API}.csv", headers=admin.headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {(r["type"], r["address"], r["page"], r["components"]) for r in rows} == {
        ("email", "a@example.com", "", "Search"),
        ("email", "b@example.com", "partners", ""),
        ("slack", SLACK, "", ""),
    }
    for row in ok(web.get(API, headers=admin.headers))["subscribers"]:
        assert web.delete(f"{API}/{row['id']}", headers=admin.headers).status_code == 204
    assert count(tocsin) == 0

    imported = ok(web.post(f"{API}.csv", content=exported.content, headers=admin.headers))
    assert imported == {"created": 3, "updated": 0, "opt_in_sent": 0}
    again = web.get(f"{API}.csv", headers=admin.headers)
    assert _without_times(again.text) == _without_times(exported.text)
    tocsin.engine.run_until_idle()
    assert smtp.emails == []


def test_a_statuspage_style_csv_imports_with_opt_in(
    tocsin: Tocsin, web: TestClient, admin: Caller, smtp: SmtpSink
) -> None:
    text = "Email,Components\nnew@example.com,Checkout|Search\nold@example.com,\n"
    create(
        web,
        admin,
        channel="email",
        address="old@example.com",
        confirmed=True,
        components=["Search"],
    )
    done = ok(web.post(f"{API}.csv", content=text.encode(), headers=admin.headers))
    assert done == {"created": 1, "updated": 1, "opt_in_sent": 1}
    with tocsin.database.sessions() as session:
        rows = {s.address: s for s in session.scalars(select(Subscriber))}
    assert rows["new@example.com"].components == ["Checkout", "Search"]
    assert rows["new@example.com"].confirmed_at is None
    assert rows["old@example.com"].components is None, "an import replaces the components"
    tocsin.engine.run_until_idle()
    assert len(smtp.to("new@example.com")) == 1


def test_a_bad_csv_is_refused_with_its_line_numbers_and_writes_nothing(
    tocsin: Tocsin, web: TestClient, admin: Caller
) -> None:
    text = (
        "type,address,components\n"
        "email,fine@example.com,\n"
        "email,not-an-address,\n"
        "webhook,https://ok.example/hook,\n"
        "email,fine@example.com,\n"
        "email,other@example.com,Nope\n"
    )
    refused = web.post(f"{API}.csv", content=text.encode(), headers=admin.headers)
    assert refused.status_code == 422
    message = str(refused.json())
    assert "line 3: address: must be an email address" in message
    assert "line 5: repeats line 2" in message
    assert "line 6: components: 'Nope' is not a component" in message
    assert "line 2:" not in message and "line 4:" not in message
    assert count(tocsin) == 0
    with tocsin.database.sessions() as session:
        jobs = select(func.count()).where(Job.kind.like("statuspage.%"))
        assert session.scalar(jobs) == 0
    headerless = web.post(f"{API}.csv", content=b"kind,name\nx,y\n", headers=admin.headers)
    assert headerless.status_code == 422 and "line 1" in str(headerless.json())
    # A carriage return alone inside a field (found by fuzzing: it was a 500).
    stray = web.post(
        f"{API}.csv", content=b"type,address\nemail,a\rb@x.com\n", headers=admin.headers
    )
    assert stray.status_code == 422 and "line 2" in str(stray.json()), stray.text
    assert count(tocsin) == 0
