"""Other people's addresses are shown shortened; owners and admins see them in full."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller, make_caller
from tocsin.app.service import Tocsin
from tocsin.auth.redaction import shorten, shorten_email, shorten_phone

CONTACTS = [
    {"type": "email", "address": "alice.smith@example.com"},
    {"type": "sms", "address": "+447700900123"},
    {"type": "voice", "address": "+44 7700 900123"},
    {"type": "telegram", "address": "123456789"},
    {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/secret"},
]


def _alice(client: TestClient, tocsin: Tocsin, admin: Caller) -> Caller:
    alice = make_caller(tocsin, "alice", "responder")
    changed = client.patch(
        "/api/v1/users/alice", headers=admin.headers, json={"contact_methods": CONTACTS}
    )
    assert changed.status_code == 200, changed.text
    return alice


def _user(client: TestClient, caller: Caller, name: str) -> dict[str, Any]:
    [listed] = [
        u for u in client.get("/api/v1/users", headers=caller.headers).json() if u["name"] == name
    ]
    one: dict[str, Any] = client.get(f"/api/v1/users/{name}", headers=caller.headers).json()
    assert one == listed
    return one


def test_viewers_and_responders_see_other_peoples_addresses_shortened(
    client: TestClient, tocsin: Tocsin, admin: Caller, viewer: Caller, responder: Caller
) -> None:
    _alice(client, tocsin, admin)
    for caller in (viewer, responder):
        seen = _user(client, caller, "alice")
        assert seen["email"] == "a…@example.com"
        assert [m.get("address") or m.get("url") for m in seen["contact_methods"]] == [
            "a…@example.com",
            "+44…0123",
            "+44…0123",
            "12…",
            "https://hooks.slack.com/…",
        ]
        # Their own entry is theirs to read in full.
        assert _user(client, caller, caller.name)["email"] == f"{caller.name}@example.com"


def test_owners_and_admins_see_addresses_in_full_but_never_urls(
    client: TestClient, tocsin: Tocsin, admin: Caller
) -> None:
    alice = _alice(client, tocsin, admin)
    me = client.get("/api/v1/me", headers=alice.headers).json()
    for seen in (me, _user(client, alice, "alice"), _user(client, admin, "alice")):
        assert seen["email"] == "alice@example.com"
        assert [m.get("address") or m.get("url") for m in seen["contact_methods"]] == [
            "alice.smith@example.com",
            "+447700900123",
            "+44 7700 900123",
            "123456789",
            "https://hooks.slack.com/…",
        ]


def test_shortened_forms() -> None:
    assert shorten_email("bob@example.org") == "b…@example.org"
    assert shorten_email("not-an-email") == "no…"
    assert shorten_phone("+15551234567") == "+15…4567"
    assert shorten_phone("+4412") == "…12"
    assert shorten("push", "abc") == "…"
    assert shorten("ntfy", "tocsin-alice-9f8e7d") == "to…"
