"""Demo data for ``tocsin serve --demo``: a small organisation to look around in."""

from __future__ import annotations

import secrets
from pathlib import Path

from tocsin.auth import accounts
from tocsin.config import apply, validate_directory
from tocsin.service import Tocsin

DEMO_DIR = Path(__file__).parent
DEMO_ADMIN = "alice"
#: Where the demo admin's generated password is written (inside the data dir,
#: readable by its owner only) so that it never appears in a log.
PASSWORD_FILE = "demo-admin-password.txt"


def load_demo(tocsin: Tocsin) -> list[str]:
    """Apply the demo definitions and give the demo admin a console password.

    Returns lines to show the person who started the server. A demo admin who
    already has a password keeps it, so restarting does not lock anyone out.
    """
    now = tocsin.clock.now()
    validation = validate_directory(DEMO_DIR, now=now)
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
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.touch(mode=0o600)
            password_file.write_text(password + "\n")
    people = ", ".join(
        user.name if user.role == "responder" else f"{user.name} ({user.role})"
        for user in validation.configuration.users
    )
    lines.append(f"Demo users: {people}.")
    lines.append(
        f"Only {DEMO_ADMIN} can log in to the console (the other demo users have no password); "
        f"{DEMO_ADMIN}'s password is in {password_file}"
    )
    return lines
