"""The alerts pages' rules without a browser: roles, CSRF, not found, bad input, silences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tocsin.alerts.tables import Alert, AlertGroup, SilenceRow
from tocsin.app.demo import KEY_FILE, load_demo
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.console import alert_filters
from tocsin.console import alerts as alerts_module
from tocsin.console.alert_filters import split_matchers

PASSWORD = "correct horse battery"
TRIGGER = {
    "event_action": "trigger",
    "payload": {
        "summary": "Checkout is failing",
        "source": "demo",
        "severity": "critical",
        "component": "web",
    },
}


@pytest.fixture
def console(tocsin: Tocsin) -> Iterator[TestClient]:
    load_demo(tocsin)
    with tocsin.database.transaction() as session:
        for name in ("bruno", "erin"):
            user = accounts.find_user(session, name)
            assert user is not None
            accounts.set_password(session, user, PASSWORD, now=tocsin.clock.now(), actor="t")
    app = create_app(tocsin, start_engine=False)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def log_in(client: TestClient, user: str) -> str:
    """Sign ``user`` in; their CSRF token."""
    client.cookies.clear()
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/alerts")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None
    return token.group(1)


def post_alert(tocsin: Tocsin, client: TestClient) -> tuple[int, int]:
    key = (tocsin.settings.data_dir / KEY_FILE).read_text().strip()
    answer = client.post("/v2/enqueue", json={"routing_key": key, **TRIGGER})
    assert answer.status_code == 202
    with tocsin.database.sessions() as session:
        alert = session.query(Alert).one()
        assert alert.group_id is not None
        return alert.id, alert.group_id


def test_the_queue_lists_an_open_group_and_its_alert(tocsin: Tocsin, console: TestClient) -> None:
    _, group_id = post_alert(tocsin, console)
    log_in(console, "bruno")
    groups = console.get("/alerts")
    assert groups.status_code == 200
    assert f'href="/alerts/groups/{group_id}"' in groups.text
    assert "Acknowledge" in groups.text
    alerts = console.get("/alerts/all", params={"severity": "critical", "labels": "component=web"})
    assert "Checkout is failing" in alerts.text
    none = console.get("/alerts/all", params={"severity": "info"})
    assert "Checkout is failing" not in none.text
    resolved = console.get("/alerts", params={"status": "resolved"})
    assert "Checkout is failing" not in resolved.text


def test_a_responder_acknowledges_and_resolves_a_group(tocsin: Tocsin, console: TestClient) -> None:
    alert_id, group_id = post_alert(tocsin, console)
    csrf = log_in(console, "bruno")
    answer = console.post(
        f"/alerts/groups/{group_id}/acknowledge",
        data={"csrf_token": csrf, "next": "/alerts?status=open"},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/alerts?status=open")
    with tocsin.database.sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.status == "acknowledged"
        assert alert.acknowledged_by == "bruno"
    again = console.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf})
    assert again.status_code == 409
    away = console.post(
        f"/alerts/{alert_id}/resolve",
        data={"csrf_token": csrf, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == f"/alerts/{alert_id}"
    with tocsin.database.sessions() as session:
        group = session.get(AlertGroup, group_id)
        assert group is not None and group.status == "resolved"


def test_a_viewer_sees_no_write_controls_and_a_forged_post_changes_nothing(
    tocsin: Tocsin, console: TestClient
) -> None:
    alert_id, group_id = post_alert(tocsin, console)
    csrf = log_in(console, "erin")
    for path in ("/alerts", "/alerts/all", f"/alerts/groups/{group_id}", f"/alerts/{alert_id}"):
        shown = console.get(path)
        assert shown.status_code == 200
        assert "Acknowledge" not in shown.text and "Resolve" not in shown.text
    assert "Create silence" not in console.get(f"/alerts/{alert_id}/silence").text
    for path, data in (
        (f"/alerts/groups/{group_id}/acknowledge", {}),
        (f"/alerts/{alert_id}/resolve", {}),
        ("/alerts/silences", {"matchers": 'a="b"', "comment": "x", "duration": "1h"}),
    ):
        answer = console.post(path, data={"csrf_token": csrf, **data})
        assert answer.status_code == 403, path
        assert "needs the responder role" in answer.text
    with tocsin.database.sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.status == "triggered"
        assert session.query(SilenceRow).count() == 0


def test_a_post_without_the_csrf_token_is_refused(tocsin: Tocsin, console: TestClient) -> None:
    alert_id, _ = post_alert(tocsin, console)
    log_in(console, "bruno")
    answer = console.post(f"/alerts/{alert_id}/acknowledge", data={})
    assert answer.status_code == 403
    with tocsin.database.sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.status == "triggered"


def test_missing_things_are_404_and_bad_input_names_the_field(
    tocsin: Tocsin, console: TestClient
) -> None:
    alert_id, _ = post_alert(tocsin, console)
    csrf = log_in(console, "bruno")
    assert console.get("/alerts/groups/999").status_code == 404
    assert console.get("/alerts/999").status_code == 404
    assert console.get("/alerts/999/silence").status_code == 404
    gone = console.post("/alerts/silences/999/expire", data={"csrf_token": csrf})
    assert gone.status_code == 404
    for params, field in (
        ({"status": "sleeping"}, "status"),
        ({"service": "nope"}, "service"),
        ({"labels": "not a matcher"}, "labels"),
        ({"cursor": "garbage"}, "cursor"),
        ({"severity": "loud"}, "severity"),
    ):
        answer = console.get("/alerts/all", params=params)
        assert answer.status_code == 422, params
        assert field in answer.text
    for data, field in (
        ({"matchers": "no good", "comment": "x", "duration": "1h"}, "matchers"),
        ({"matchers": 'a="b"', "comment": "x", "duration": "custom"}, "custom_minutes"),
        ({"matchers": 'a="b"', "duration": "1h"}, "comment"),
        ({"matchers": 'a="b"', "comment": "x", "duration": "1y"}, "duration"),
    ):
        answer = console.post("/alerts/silences", data={"csrf_token": csrf, **data})
        assert answer.status_code == 422, data
        assert field in answer.text
    assert alert_id


def test_silencing_an_alert_prefills_its_labels_and_can_be_expired(
    tocsin: Tocsin, console: TestClient
) -> None:
    alert_id, _ = post_alert(tocsin, console)
    csrf = log_in(console, "bruno")
    form = console.get(f"/alerts/{alert_id}/silence")
    assert "__service__=" in form.text
    answer = console.post(
        "/alerts/silences",
        data={
            "csrf_token": csrf,
            "matchers": 'component="web"\n__service__="checkout"',
            "duration": "custom",
            "custom_minutes": "90",
            "comment": "deploying",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with tocsin.database.sessions() as session:
        silence = session.query(SilenceRow).one()
        assert silence.matchers == ['component="web"', '__service__="checkout"']
        assert silence.ends_at - silence.starts_at == timedelta(minutes=90)
        silence_id = silence.id
    listed = console.get("/alerts/silences")
    assert "component=&#34;web&#34;" in listed.text and "deploying" in listed.text
    expired = console.post(
        f"/alerts/silences/{silence_id}/expire", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert expired.status_code == 303
    assert "deploying" not in console.get("/alerts/silences").text
    assert "deploying" in console.get("/alerts/silences?expired=true").text


def test_matchers_split_on_commas_outside_quotes() -> None:
    assert split_matchers('env=prod, team="a,b"\nx!~"y\\"z,"') == [
        "env=prod",
        'team="a,b"',
        'x!~"y\\"z,"',
    ]


def test_a_viewer_cannot_expire_a_silence(tocsin: Tocsin, console: TestClient) -> None:
    csrf = log_in(console, "bruno")
    made = console.post(
        "/alerts/silences",
        data={"csrf_token": csrf, "matchers": "component=web", "comment": "x", "duration": "1d"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    with tocsin.database.sessions() as session:
        silence_id = session.query(SilenceRow).one().id
    csrf = log_in(console, "erin")
    listed = console.get("/alerts/silences")
    assert "component=&#34;web&#34;" in listed.text and "Expire now" not in listed.text
    answer = console.post(f"/alerts/silences/{silence_id}/expire", data={"csrf_token": csrf})
    assert answer.status_code == 403
    with tocsin.database.sessions() as session:
        silence = session.get(SilenceRow, silence_id)
        assert silence is not None and silence.expired_by is None


def test_the_live_queue_version_moves_with_the_queue(tocsin: Tocsin, console: TestClient) -> None:
    with tocsin.database.sessions() as session:
        before = alerts_module.queue_version(session)
    alert_id, _ = post_alert(tocsin, console)
    with tocsin.database.sessions() as session:
        posted = alerts_module.queue_version(session)
    assert posted != before
    csrf = log_in(console, "bruno")
    console.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf})
    with tocsin.database.sessions() as session:
        assert alerts_module.queue_version(session) != posted


def test_pages_follow_the_cursor_with_and_without_label_filters(
    tocsin: Tocsin, console: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alert_filters, "PAGE_SIZE", 2)
    monkeypatch.setattr(alert_filters, "SCAN", 3)
    key = (tocsin.settings.data_dir / KEY_FILE).read_text().strip()
    for number in range(7):
        payload = {**TRIGGER["payload"], "summary": f"Alert number {number}"}  # type: ignore[dict-item]
        payload["component"] = "web" if number % 2 == 0 else "db"
        sent = console.post(
            "/v2/enqueue",
            json={
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"k{number}",
                "payload": payload,
            },
        )
        assert sent.status_code == 202
    log_in(console, "bruno")

    def walk(params: dict[str, str]) -> list[int]:
        seen: list[int] = []
        cursor: str | None = None
        for _ in range(20):
            shown = console.get(
                "/alerts/all", params={**params, **({"cursor": cursor} if cursor else {})}
            )
            assert shown.status_code == 200
            seen += [int(n) for n in re.findall(r"Alert number (\d)", shown.text)]
            found = re.search(r'href="/alerts/all\?[^"]*cursor=([^"&]+)"', shown.text)
            if found is None:
                return seen
            cursor = found.group(1)
        raise AssertionError("the pages never ended")

    assert walk({}) == [6, 5, 4, 3, 2, 1, 0]
    assert walk({"labels": "component=web"}) == [6, 4, 2, 0]
    assert walk({"labels": 'component!="web"', "severity": "critical"}) == [5, 3, 1]
    monkeypatch.setattr(alert_filters, "SCAN", 5)  # a page fills up within its scan
    assert walk({"labels": "component=web"}) == [6, 4, 2, 0]
    assert walk({"labels": "component=db"}) == [5, 3, 1]
