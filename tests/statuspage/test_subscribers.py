"""Email subscribers: double opt-in through a real SMTP server, update mails, manage, unsubscribe.

The app runs without its background engine; ``tocsin.engine.run_until_idle()``
runs the jobs a step queued, so every mail has arrived when it returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Caller
from tests.statuspage.support import declare, ok, set_up
from tests.support.sinks import Email, SmtpSink, smtp_sink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock
from tocsin.notify.tables import OutboxMessage
from tocsin.statuspage.tables import Delivery, Subscriber

LINK = re.compile(r"https?://\S+/status/subscribers/\S+")


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        monkeypatch.setenv("TOCSIN_MAIL_HOST", sink.host)
        monkeypatch.setenv("TOCSIN_MAIL_PORT", str(sink.port))
        monkeypatch.setenv("TOCSIN_MAIL_FROM", "status@acme.example")
        monkeypatch.setenv("TOCSIN_PUBLIC_URL", "https://status.acme.example")
        monkeypatch.delenv("TOCSIN_DELIVERY", raising=False)
        yield sink


@pytest.fixture
def web(tocsin: Tocsin, tmp_path: Path) -> Iterator[TestClient]:
    """The app without its background engine, on a configured status page."""
    set_up(tocsin, tmp_path / "config")
    app = create_app(tocsin, start_engine=False)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def links(email: Email) -> dict[str, str]:
    """The subscription links in a mail, by action (confirm, manage, unsubscribe), as paths."""
    found = {}
    for url in LINK.findall(email.body):
        path = urlsplit(url).path
        found[path.split("/")[4]] = path
    return found


def sign_up(client: TestClient, email: str, slug: str = "", **form: object) -> str:
    path = f"/status/{slug}/subscribe" if slug else "/status/subscribe"
    response = client.post(path, data={"email": email, **form})
    assert response.status_code == 200, response.text
    return response.text


def subscribe(tocsin: Tocsin, client: TestClient, smtp: SmtpSink, email: str) -> dict[str, str]:
    """Sign up and confirm; the links of the confirmation mail."""
    sign_up(client, email)
    tocsin.engine.run_until_idle()
    mail = smtp.to(email)[-1]
    found = links(mail)
    assert client.get(found["confirm"]).status_code == 200
    return {
        **found,
        "manage": found["confirm"].replace("/confirm/", "/manage/"),
        "unsubscribe": found["confirm"].replace("/confirm/", "/unsubscribe/"),
    }


def publish(
    client: TestClient, caller: Caller, components: dict[str, str], notify: bool = True
) -> dict[str, object]:
    reference = declare(client, caller)
    return dict(
        ok(
            client.post(
                f"/api/v1/incidents/{reference}/publish",
                json={
                    "name": "Checkout errors",
                    "body": "We are investigating failed payments.",
                    "components": components,
                    "notify": notify,
                },
                headers=caller.headers,
            ),
            201,
        )
    )


def post_update(
    client: TestClient, caller: Caller, code: object, status: str, body: str, **extra: object
) -> None:
    ok(
        client.post(
            f"/api/v1/status-page/incidents/{code}/updates",
            json={"status": status, "body": body, **extra},
            headers=caller.headers,
        ),
        201,
    )


def updates_to(smtp: SmtpSink, address: str) -> list[Email]:
    return [mail for mail in smtp.to(address) if "Confirm" not in mail.subject]


def test_double_opt_in_through_a_real_smtp_server(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink, responder: Caller
) -> None:
    answer = sign_up(web, "Reader@Example.com")
    assert "a mail is on its way" in answer
    publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    (mail,) = smtp.to("reader@example.com")
    assert mail.subject == "[Acme status] Confirm your subscription"
    assert mail.message["From"] == "status@acme.example"
    found = links(mail)
    assert set(found) == {"confirm"}
    assert urlsplit(LINK.findall(mail.body)[0]).netloc == "status.acme.example"
    with tocsin.database.sessions() as session:
        stored = session.scalars(select(Subscriber)).one()
        assert stored.confirmed_at is None and stored.address == "reader@example.com"
        secret = found["confirm"].rsplit("/", 1)[1]
        assert secret not in str([stored.token_hash, stored.code, stored.address]), (
            "only the secret's hash is stored"
        )
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0

    page = web.get(found["confirm"])
    assert page.status_code == 200 and "Your subscription is confirmed" in page.text
    with tocsin.database.sessions() as session:
        assert session.scalars(select(Subscriber)).one().confirmed_at == tocsin.clock.now()
    assert web.get(found["confirm"].replace(secret, "x" * 43)).status_code == 404


def test_signing_up_answers_the_same_whatever_the_address_state(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink
) -> None:
    subscribe(tocsin, web, smtp, "known@example.com")
    known = sign_up(web, "known@example.com")
    unknown = sign_up(web, "nobody@example.com")
    assert known == unknown
    tocsin.engine.run_until_idle()
    again = smtp.to("known@example.com")[-1]
    assert again.subject == "[Acme status] You are already subscribed"
    assert set(links(again)) == {"manage", "unsubscribe"}
    assert smtp.to("nobody@example.com")[-1].subject.endswith("Confirm your subscription")


def test_an_update_mail_says_what_happened_with_links_and_unsubscribe_headers(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink, responder: Caller
) -> None:
    subscribe(tocsin, web, smtp, "ada@example.com")
    sign_up(web, "unconfirmed@example.com")
    public = publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    (mail,) = updates_to(smtp, "ada@example.com")
    assert mail.subject == "[Acme status] Checkout errors: Investigating"
    body = mail.body
    assert "We are investigating failed payments." in body
    assert "- Checkout: Major outage" in body
    assert f"https://status.acme.example/status/incidents/{public['id']}" in body
    found = links(mail)
    assert set(found) == {"manage", "unsubscribe"}
    assert (
        mail.message["List-Unsubscribe"] == f"<https://status.acme.example{found['unsubscribe']}>"
    )
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert updates_to(smtp, "unconfirmed@example.com") == []

    post_update(web, responder, public["id"], "identified", "A bad deploy.", notify=False)
    tocsin.engine.run_until_idle()
    assert len(updates_to(smtp, "ada@example.com")) == 1, "notify=false tells nobody"
    post_update(web, responder, public["id"], "resolved", "Rolled back.")
    tocsin.engine.run_until_idle()
    last = updates_to(smtp, "ada@example.com")
    assert len(last) == 2 and "Rolled back." in last[-1].body
    assert "- Checkout: Operational" in last[-1].body
    with tocsin.database.sessions() as session:
        states = session.scalars(select(Delivery.state)).all()
    assert states == ["sent", "sent"]


def test_unsubscribing_needs_no_login_get_asks_post_does_and_one_click_works(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink, responder: Caller
) -> None:
    first = subscribe(tocsin, web, smtp, "first@example.com")
    second = subscribe(tocsin, web, smtp, "second@example.com")
    asked = web.get(first["unsubscribe"])
    assert asked.status_code == 200
    assert 'method="post"' in asked.text and "<button" in asked.text
    with tocsin.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 2, (
            "GET changes nothing"
        )

    done = web.post(first["unsubscribe"])
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    one_click = web.post(
        second["unsubscribe"],
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert web.post(second["unsubscribe"]).status_code == 200, "a second click is fine"
    with tocsin.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert web.get(first["manage"]).status_code == 404
    publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    assert updates_to(smtp, "first@example.com") == []
    assert updates_to(smtp, "second@example.com") == []


def test_the_manage_link_picks_components(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink, responder: Caller
) -> None:
    reader = subscribe(tocsin, web, smtp, "picky@example.com")
    page = web.get(reader["manage"])
    assert page.status_code == 200 and 'value="Search"' in page.text
    saved = web.post(reader["manage"], data={"components": ["Search"]})
    assert saved.status_code == 200 and "saved" in saved.text
    assert 'value="Search" checked' in saved.text
    public = publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    assert updates_to(smtp, "picky@example.com") == []
    post_update(
        web,
        responder,
        public["id"],
        "identified",
        "Search too.",
        components={"Search": "partial_outage"},
    )
    tocsin.engine.run_until_idle()
    (mail,) = updates_to(smtp, "picky@example.com")
    assert "Search too." in mail.body
    refused = web.post(reader["manage"], data={"components": ["Nope"]})
    assert refused.status_code == 422


def test_a_page_subscriber_hears_only_about_that_page(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink, responder: Caller
) -> None:
    sign_up(web, "partner@example.com", slug="partners")
    tocsin.engine.run_until_idle()
    (mail,) = smtp.to("partner@example.com")
    assert mail.subject == "[Partner status] Confirm your subscription"
    web.get(links(mail)["confirm"])
    reference = declare(web, responder, services=("search",))
    ok(
        web.post(
            f"/api/v1/incidents/{reference}/publish",
            json={
                "name": "Search slow",
                "body": "Slow.",
                "components": {"Search": "degraded_performance"},
            },
            headers=responder.headers,
        ),
        201,
    )
    tocsin.engine.run_until_idle()
    assert updates_to(smtp, "partner@example.com") == []
    publish(web, responder, {"Payments API": "major_outage"})
    tocsin.engine.run_until_idle()
    (told,) = updates_to(smtp, "partner@example.com")
    assert (
        told.subject.startswith("[Partner status]") and "/status/partners/incidents/" in told.body
    )


def test_sign_up_is_rate_limited_per_address_and_per_client(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink
) -> None:
    for _ in range(3):
        sign_up(web, "target@example.com")
    refused = web.post("/status/subscribe", data={"email": "target@example.com"})
    assert refused.status_code == 429 and "Too many sign-ups" in refused.text
    for n in range(7):
        sign_up(web, f"other{n}@example.com")
    assert web.post("/status/subscribe", data={"email": "new@example.com"}).status_code == 429
    tocsin.engine.run_until_idle()
    assert len(smtp.to("target@example.com")) == 3
    assert smtp.to("new@example.com") == []


def test_a_bad_address_is_refused_on_the_form(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink
) -> None:
    refused = web.post("/status/subscribe", data={"email": "not an address"})
    assert refused.status_code == 422 and "must be an email address" in refused.text
    form = web.get("/status/subscribe")
    assert form.status_code == 200 and 'name="email"' in form.text and "<script>" not in form.text
    empty = web.post("/status/subscribe", data={})
    assert empty.status_code == 422 and "Please fill in: email" in empty.text
    assert empty.headers["content-type"].startswith("text/html")
    unknown = web.post("/status/nowhere/subscribe", data={"email": "a@example.com"})
    assert unknown.status_code == 404 and "no status page" in unknown.text
    assert unknown.headers["content-type"].startswith("text/html")


def test_outbox_mode_records_mail_without_link_secrets(
    tocsin: Tocsin,
    web: TestClient,
    smtp: SmtpSink,
    responder: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = subscribe(tocsin, web, smtp, "boxed@example.com")
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    assert updates_to(smtp, "boxed@example.com") == []
    secret = reader["confirm"].rsplit("/", 1)[1]
    with tocsin.database.sessions() as session:
        (row,) = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status")).all()
        assert session.scalars(select(Delivery.state)).all() == ["sent"]
    assert row.address == "boxed@example.com" and "Checkout errors" in row.subject
    assert secret not in row.body and "[token hidden]" in row.body


def test_update_mails_share_a_connection_and_only_those_not_taken_are_sent_again(
    tocsin: Tocsin, web: TestClient, smtp: SmtpSink, responder: Caller, clock: FakeClock
) -> None:
    readers = [f"reader-{n}@example.com" for n in range(5)]
    for address in readers:
        subscribe(tocsin, web, smtp, address)
    smtp.refuse("reader-1@example.com", "550 5.1.1 No such mailbox")
    smtp.refuse("reader-3@example.com", "451 4.3.0 Try again later")
    connections = smtp.connections
    publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    told = {address: len(updates_to(smtp, address)) for address in readers}
    assert told == dict.fromkeys(readers, 1) | {readers[1]: 0, readers[3]: 0}
    assert smtp.connections - connections == 1, "three mails over one connection"

    def states() -> dict[str, tuple[str, int, str | None]]:
        with tocsin.database.sessions() as session:
            rows = session.execute(
                select(
                    Subscriber.address, Delivery.state, Delivery.attempts, Delivery.last_error
                ).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            ).all()
        return {row.address: (row.state, row.attempts, row.last_error) for row in rows}

    first = states()
    assert first[readers[1]] == ("failed", 1, "SMTP server answered 550")
    assert first[readers[3]] == ("queued", 1, "SMTP server answered 451")
    assert first[readers[0]] == ("sent", 1, None)

    smtp.accept("reader-3@example.com")
    clock.advance(minutes=10)
    tocsin.engine.run_until_idle()
    told = {address: len(updates_to(smtp, address)) for address in readers}
    assert told == dict.fromkeys(readers, 1) | {readers[1]: 0}, "the retry sends only the one"
    final = states()
    assert final[readers[3]] == ("sent", 2, None)
    assert final[readers[1]] == ("failed", 1, "SMTP server answered 550")
    assert {final[address][0] for address in readers} == {"sent", "failed"}
