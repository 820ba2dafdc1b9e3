"""The demo organisation loads, and its admin can log in with the generated password."""

from __future__ import annotations

import stat

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.app.demo import KEY_FILE, PASSWORD_FILE, load_demo, trigger_command
from tocsin.app.service import Tocsin


def test_demo_loads_once_and_its_admin_logs_in(
    tocsin: Tocsin, client: TestClient, viewer: Caller
) -> None:
    lines = load_demo(tocsin)
    assert lines[0] == "Demo data: Applied: 21 created."
    password_file = tocsin.settings.data_dir / PASSWORD_FILE
    assert lines[1] == "Demo users: alice (admin), bruno, chen, dana, erin (viewer)."
    assert lines[2] == (
        "Only alice can log in to the console (the other demo users have no password); "
        f"alice's password is in {password_file}"
    )
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert password not in " ".join(lines)
    key_file = tocsin.settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert lines[-1].strip() == trigger_command("http://127.0.0.1:8080", key)

    again = load_demo(tocsin)
    assert again[0] == "Demo data: No changes: the database matches the configuration."
    assert password_file.read_text().strip() == password
    assert key_file.read_text().strip() == key, "a restart keeps the demo key it printed"
    key_file.unlink()
    fresh = load_demo(tocsin)[-1]
    assert key not in fresh and key_file.read_text().strip() in fresh

    services = client.get("/api/v1/services", headers=viewer.headers).json()
    assert [s["name"] for s in services] == ["checkout"]
    users = {u["name"] for u in client.get("/api/v1/users", headers=viewer.headers).json()}
    assert {"alice", "bruno", "chen", "dana", "erin"} <= users

    status_page = client.get("/status").text
    assert "Checkout" in status_page and "Payments API" in status_page

    form = client.get("/login")
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/login",
        data={"username": "alice", "password": password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "alice (admin)" in client.get("/").text
