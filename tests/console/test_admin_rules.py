"""Admin pages without a browser: admins only, bad input named, unknown objects 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console.test_viewer import _log_in
from tocsin.app.service import Tocsin
from tocsin.auth import accounts


def test_admin_pages_are_for_admins_only(tocsin: Tocsin, client: TestClient) -> None:
    _log_in(tocsin, client, "rex", "responder")
    for path in ("/admin", "/admin/tokens", "/admin/integrations", "/admin/jobs", "/admin/audit"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "needs the admin role" in answer.text


def test_bad_input_is_named_and_unknown_objects_are_404(tocsin: Tocsin, client: TestClient) -> None:
    token = _log_in(tocsin, client, "ada", "admin")
    bad = client.post("/admin/users", data={"csrf_token": token, "name": "no spaces please"})
    assert bad.status_code == 422
    assert "name" in bad.text and "no spaces please" in bad.text, "the form keeps what was typed"
    short = client.post(
        "/admin/users", data={"csrf_token": token, "name": "kim", "password": "short"}
    )
    assert short.status_code == 422 and "password" in short.text
    taken = client.post("/admin/users", data={"csrf_token": token, "name": "ada"})
    assert taken.status_code == 409
    assert client.post("/admin/jobs/999/retry", data={"csrf_token": token}).status_code == 404
    assert client.post("/admin/tokens/999/revoke", data={"csrf_token": token}).status_code == 404
    role = client.post("/admin/users/nobody/role", data={"csrf_token": token, "role": "admin"})
    assert role.status_code == 404
    wrong = client.post("/admin/users/ada/role", data={"csrf_token": token, "role": "king"})
    assert wrong.status_code == 422 and "role" in wrong.text


def test_a_new_token_is_shown_once_and_works(tocsin: Tocsin, client: TestClient) -> None:
    token = _log_in(tocsin, client, "ada", "admin")
    made = client.post("/admin/tokens", data={"csrf_token": token, "user": "ada", "name": "ci"})
    assert made.status_code == 201
    plain = made.text.split('<code id="new-token">')[1].split("</code>")[0]
    with tocsin.database.sessions() as session:
        principal = accounts.principal_for_token(session, plain, now=tocsin.clock.now())
    assert principal is not None and principal.name == "ada"
    assert plain not in client.get("/admin/tokens").text
