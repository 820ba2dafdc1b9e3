"""Authentication, roles, tokens at rest, console sessions with CSRF, and the audit log."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.auth.tables import ApiToken
from tocsin.db.audit import AuditEntry
from tocsin.kernel.clock import FakeClock


def test_api_without_or_with_a_wrong_token_gets_401(client: TestClient, admin: Caller) -> None:
    for headers in ({}, {"Authorization": "Bearer tcs_wrong"}, {"Authorization": "Basic eDp5"}):
        answer = client.get("/api/v1/users", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/users", headers=admin.headers).status_code == 200


def test_health_probes_need_no_credentials(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_viewer_may_read_but_not_write(client: TestClient, viewer: Caller) -> None:
    assert client.get("/api/v1/users", headers=viewer.headers).status_code == 200
    answer = client.post(
        "/api/v1/users", headers=viewer.headers, json={"name": "mallory", "role": "admin"}
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == "this action needs the admin role"


def test_missing_and_hidden_objects_answer_alike_for_non_admins(
    client: TestClient, tocsin: Tocsin, viewer: Caller, responder: Caller
) -> None:
    # A viewer cannot revoke someone else's token, and cannot tell it exists.
    created = client.post("/api/v1/tokens", headers=responder.headers, json={}).json()
    other = client.delete(f"/api/v1/tokens/{created['id']}", headers=viewer.headers)
    missing = client.delete("/api/v1/tokens/99999", headers=viewer.headers)
    assert other.status_code == missing.status_code == 404


def test_admin_creates_user_and_token_shown_once_and_stored_hashed(
    client: TestClient, tocsin: Tocsin, admin: Caller
) -> None:
    answer = client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={"name": "bob", "email": "bob@example.com", "role": "responder"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["managed_by"] is None

    created = client.post(
        "/api/v1/tokens", headers=admin.headers, json={"user": "bob", "name": "laptop"}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert re.fullmatch(r"tcs_[A-Za-z0-9_-]{43}", token)
    listed = client.get("/api/v1/tokens", headers=admin.headers).json()
    assert all("token" not in row for row in listed)
    assert {row["user"] for row in listed} >= {"bob", "ada"}

    with tocsin.database.sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        dump = " ".join(
            str(v) for row in session.execute(text("SELECT * FROM api_tokens")) for v in row
        )
    assert token not in dump
    assert all(len(h) == 64 for h in stored)

    bob = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bob).json()["name"] == "bob"


def test_revoked_token_stops_working(client: TestClient, responder: Caller) -> None:
    created = client.post("/api/v1/tokens", headers=responder.headers, json={}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_responder_cannot_mint_tokens_for_others(
    client: TestClient, responder: Caller, admin: Caller
) -> None:
    answer = client.post("/api/v1/tokens", headers=responder.headers, json={"user": "ada"})
    assert answer.status_code == 403


def test_user_input_errors_name_the_field(client: TestClient, admin: Caller) -> None:
    answer = client.post(
        "/api/v1/users", headers=admin.headers, json={"name": "x y", "role": "king"}
    )
    assert answer.status_code == 422
    fields = {tuple(error["loc"]) for error in answer.json()["detail"]}
    assert fields == {("body", "name"), ("body", "role")}
    duplicate = client.post("/api/v1/users", headers=admin.headers, json={"name": "ada"})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "a user named 'ada' already exists"


def test_console_login_sets_a_secure_session_and_writes_need_csrf(
    client: TestClient, admin: Caller
) -> None:
    client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={"name": "carol", "role": "admin", "password": "correct horse"},
    )
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"

    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    wrong = client.post(
        "/login", data={"username": "carol", "password": "nope nope", "csrf_token": csrf.group(1)}
    )
    assert wrong.status_code == 401
    assert "Wrong user name or password." in wrong.text

    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": "carol", "password": "correct horse", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    answer_cookie = answer.headers["set-cookie"]
    assert "tocsin_session=" in answer_cookie
    for flag in ("HttpOnly", "Secure", "SameSite=lax"):
        assert flag.lower() in answer_cookie.lower()

    page = client.get("/")
    assert "carol (admin)" in page.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert token is not None
    assert client.get("/api/v1/me").json()["name"] == "carol"
    no_csrf = client.post("/api/v1/tokens", json={})
    assert no_csrf.status_code == 403
    ok = client.post("/api/v1/tokens", json={}, headers={"X-CSRF-Token": token.group(1)})
    assert ok.status_code == 201

    logout = client.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert logout.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_login_form_rejects_a_forged_post(client: TestClient) -> None:
    answer = client.post("/login", data={"username": "a", "password": "b", "csrf_token": "x"})
    assert answer.status_code == 403


def test_every_write_is_audited_and_only_admins_read_the_log(
    client: TestClient, tocsin: Tocsin, admin: Caller, responder: Caller
) -> None:
    client.post("/api/v1/users", headers=admin.headers, json={"name": "dora"})
    created = client.post("/api/v1/tokens", headers=responder.headers, json={"name": "ci"}).json()
    client.delete(f"/api/v1/tokens/{created['id']}", headers=responder.headers)
    client.delete("/api/v1/users/dora", headers=admin.headers)

    assert client.get("/api/v1/audit", headers=responder.headers).status_code == 403
    log = client.get("/api/v1/audit", headers=admin.headers).json()
    seen = [(e["actor"], e["action"], e["object_key"]) for e in log if e["actor"] != "test"]
    assert seen == [
        ("ada", "user.delete", "dora"),
        ("rex", "token.revoke", str(created["id"])),
        ("rex", "token.create", str(created["id"])),
        ("ada", "user.create", "dora"),
    ]
    assert all(e["remote_addr"] == "testclient" for e in log if e["actor"] != "test")
    with tocsin.database.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "token.create"))


def test_token_last_use_is_recorded_to_the_minute(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, admin: Caller
) -> None:
    def last_used() -> object:
        with tocsin.database.sessions() as session:
            return session.scalars(select(ApiToken.last_used_at)).one()

    client.get("/api/v1/me", headers=admin.headers)
    first = last_used()
    assert first == clock.now()
    clock.advance(seconds=59)
    client.get("/api/v1/me", headers=admin.headers)
    assert last_used() == first
    clock.advance(seconds=1)
    client.get("/api/v1/me", headers=admin.headers)
    assert last_used() == clock.now()
