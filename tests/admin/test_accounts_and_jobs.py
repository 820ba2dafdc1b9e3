"""The account, token and job commands, with the same settings as ``serve``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from tocsin.app.cli import app
from tocsin.auth.secrets import digest
from tocsin.auth.tables import ApiToken, User
from tocsin.db.database import Database
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.tables import Job
from tocsin.kernel.clock import SystemClock
from tocsin.kernel.settings import Settings

runner = CliRunner()


@dataclass(frozen=True)
class Send:
    to: str | None = None


PAGE_SEND = JobKind("page.send", Send)
REMINDER_SEND = JobKind("reminder.send", Send)


def invoke(settings: Settings, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        list(args),
        input=stdin,
        env={
            "TOCSIN_DATA_DIR": str(settings.data_dir),
            "TOCSIN_DATABASE_URL": settings.database_url,
        },
    )
    return result.exit_code, result.stdout, result.stderr


def test_user_and_token_commands(settings: Settings) -> None:
    code, out, _ = invoke(
        settings, "user", "create", "alice", "--email", "alice@example.com", "--role", "admin"
    )
    assert (code, out.strip()) == (0, "created user alice (admin)")

    code, out, _ = invoke(settings, "token", "create", "--user", "alice", "--name", "laptop")
    assert code == 0
    token = out.strip()
    assert token.startswith("tcs_")
    database = Database(settings)
    with database.sessions() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == digest(token) and stored.name == "laptop"

    code, out, _ = invoke(settings, "token", "list")
    assert code == 0 and "alice" in out and token not in out
    database.dispose()


def test_cli_errors_are_one_clear_line(settings: Settings) -> None:
    code, _, err = invoke(settings, "user", "create", "bob", "--role", "superuser")
    assert code == 1
    assert "role must be one of viewer, responder, admin, got 'superuser'" in err
    code, _, err = invoke(settings, "token", "create", "--user", "ghost")
    assert code == 1
    assert "no user named 'ghost'" in err
    code, _, err = invoke(settings, "user", "create", "carol", "--password-stdin", stdin="short\n")
    assert code == 1
    assert "password must be at least 8 characters" in err


def test_password_from_stdin_is_stored_hashed(settings: Settings) -> None:
    code, _, _ = invoke(
        settings, "user", "create", "dave", "--password-stdin", stdin="a long passphrase\n"
    )
    assert code == 0
    database = Database(settings)
    with database.sessions() as session:
        user = session.scalars(select(User)).one()
    assert user.password_hash and user.password_hash.startswith("$argon2")
    database.dispose()


def test_jobs_list_dead_and_retry(settings: Settings) -> None:
    invoke(settings, "db", "upgrade")
    database = Database(settings)
    now = SystemClock().now()
    with database.transaction() as session:
        jobs.enqueue(session, PAGE_SEND, Send(to="alice"), now=now)
        jobs.enqueue(session, REMINDER_SEND, Send(), now=now)
    with database.transaction() as session:
        first = session.scalars(select(Job).where(Job.kind == "page.send")).one()
        first.state, first.last_error = "dead", "SMTP 550 mailbox unavailable"
        job_id = first.id

    code, out, _ = invoke(settings, "jobs", "list", "--dead")
    assert code == 0
    assert "page.send" in out and "SMTP 550" in out and "reminder.send" not in out

    code, out, _ = invoke(settings, "jobs", "retry", str(job_id))
    assert (code, out.strip()) == (0, f"job {job_id} queued again")
    with database.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.state, job.attempts) == ("pending", 0)
    code, _, err = invoke(settings, "jobs", "retry", str(job_id))
    assert code == 1 and "is not dead" in err
    database.dispose()


def test_database_url_password_is_not_printed(tmp_path: Path) -> None:
    settings = Settings.load(
        data_dir=tmp_path, database_url="postgresql+psycopg://u:hunter2@127.0.0.1:1/x"
    )
    code, _, err = invoke(settings, "jobs", "list")
    assert code == 1
    assert "hunter2" not in err and "cannot open database" in err
