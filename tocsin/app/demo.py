"""Demo data for ``tocsin serve --demo``: a small organisation to look around in."""

from __future__ import annotations

import json
import secrets
import shlex
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import integrations
from tocsin.alerts.configured import key_digest
from tocsin.alerts.tables import IntegrationKey
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.auth import accounts
from tocsin.config import apply, validate_directory
from tocsin.notify.settings import NotifySettings

DEMO_DIR = Path(__file__).parent / "demo_config"
DEMO_ADMIN = "alice"
#: Where the demo admin's generated password is written (inside the data dir,
#: readable by its owner only) so that it never appears in a log.
PASSWORD_FILE = "demo-admin-password.txt"
#: The demo's PagerDuty integration, and where its generated key is kept (keys
#: are stored as digests only, so the file is what lets a restart print it again).
DEMO_INTEGRATION = "checkout-pagerduty"
KEY_FILE = "demo-integration-key.txt"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def _private_file(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(content + "\n")


def _is_current(session: Session, key: str) -> bool:
    found = session.scalar(
        select(IntegrationKey.id).where(
            IntegrationKey.integration == DEMO_INTEGRATION,
            IntegrationKey.key_digest == key_digest(key),
            IntegrationKey.revoked_at.is_(None),
        )
    )
    return found is not None


def demo_key(session: Session, key_file: Path, now: datetime) -> str:
    """The demo integration's key: the one kept in ``key_file`` if still valid, else a new one."""
    if key_file.exists():
        kept = key_file.read_text().strip()
        if kept and _is_current(session, kept):
            return kept
    key = integrations.rotate(session, DEMO_INTEGRATION, actor="demo", now=now)
    _private_file(key_file, key)
    return key


def trigger_command(base_url: str, key: str) -> str:
    """A curl command that sends the demo a PagerDuty Events API v2 trigger."""
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Checkout is failing", "source": "demo", "severity": "critical"},
    }
    return (
        f"curl -X POST {shlex.quote(base_url.rstrip('/') + '/v2/enqueue')} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(json.dumps(event))}"
    )


def load_demo(tocsin: Tocsin, *, base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """Apply the demo definitions and give the demo admin a console password.

    Returns lines to show the person who started the server, ending with the
    command that pages someone. A demo admin who already has a password keeps
    it, and a demo key still valid is kept, so restarting locks nobody out.
    """
    now = tocsin.clock.now()
    validation = validate_directory(DEMO_DIR, CONFIG_KINDS, now=now)
    if not validation.ok:
        problems = "\n".join(str(issue) for issue in validation.errors)
        raise RuntimeError(f"the bundled demo configuration is invalid:\n{problems}")
    lines = []
    with tocsin.database.transaction() as session:
        done = apply(session, validation.configuration, now=now)
        lines.append(f"Demo data: {done.applied_summary()}")
        admin = accounts.find_user(session, DEMO_ADMIN)
        if admin is None:
            raise RuntimeError(f"the demo configuration does not define {DEMO_ADMIN!r}")
        password_file = tocsin.settings.data_dir / PASSWORD_FILE
        if admin.password_hash is None:
            password = secrets.token_urlsafe(12)
            accounts.set_password(session, admin, password, now=now, actor="demo")
            _private_file(password_file, password)
        key = demo_key(session, tocsin.settings.data_dir / KEY_FILE, now)
    people = ", ".join(
        user.name if user.role == "responder" else f"{user.name} ({user.role})"
        for user in validation.configuration.users
    )
    lines.append(f"Demo users: {people}.")
    lines.append(
        f"Only {DEMO_ADMIN} can log in to the console (the other demo users have no password); "
        f"{DEMO_ADMIN}'s password is in {password_file}"
    )
    if NotifySettings.from_env().outbox:
        lines.append(
            "Messages are not sent (TOCSIN_DELIVERY=outbox): see them in the outbox, "
            f"{base_url.rstrip('/')}/outbox or `tocsin outbox list`."
        )
    lines.append(f"Page the on-call person of checkout (demo key {key}):")
    lines.append(f"  {trigger_command(base_url, key)}")
    return lines
