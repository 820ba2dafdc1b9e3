"""``tocsin user`` and ``tocsin token``: accounts and API tokens from the shell.

Creating users and tokens works on the database directly (``--data-dir`` /
``--database-url``), so the first admin can be made before any server runs.
Notification rules (``tocsin user rules`` / ``set-rules``) go through a
running server's API (``--url`` / ``--token``), which checks who may change
whose rules and audits the change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlalchemy import select

from tocsin.auth import accounts
from tocsin.auth.roles import ROLES
from tocsin.auth.tables import ApiToken, User
from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail, open_database
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption
from tocsin.config import known_names
from tocsin.kernel.clock import SystemClock

users = typer.Typer(help="People who use Tocsin.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens.", no_args_is_help=True)
CLI_ACTOR = "cli"


def _read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        fail("--password-stdin was given but standard input was empty")
    return password


@users.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Login name, e.g. alice.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")] = "responder",
    full_name: Annotated[str, typer.Option(help="Display name.")] = "",
    time_zone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a console password from standard input.")
    ] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create a user."""
    # Imported here: the configuration package is heavy, and every command imports this module.
    from tocsin.config.fields import time_zone as check_time_zone

    password = _read_password(password_stdin)
    database = open_database(data_dir, database_url)
    try:
        with database.transaction() as session:
            check_time_zone(time_zone)
            user = accounts.create_user(
                session,
                now=SystemClock().now(),
                actor=CLI_ACTOR,
                name=name,
                email=email,
                role=role,
                full_name=full_name,
                time_zone=time_zone,
                password=password,
            )
    except (ValueError, accounts.AccountError) as exc:  # a bad role or time zone, a taken name
        fail(str(exc))
    console.print(f"created user {user.name} ({user.role})", highlight=False)


@users.command("set-password")
def set_password(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Set a user's web console password (prompted unless --password-stdin)."""
    password = _read_password(password_stdin) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    database = open_database(data_dir, database_url)
    try:
        with database.transaction() as session:
            user = accounts.find_user(session, name)
            if user is None:
                fail(known_names.unknown_user(session, name))
            accounts.set_password(session, user, password, now=SystemClock().now(), actor=CLI_ACTOR)
    except accounts.AccountError as exc:
        fail(str(exc))
    console.print(f"password set for {name}", highlight=False)


@users.command("list")
def list_users(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """List users."""
    database = open_database(data_dir, database_url)
    table = Table("name", "role", "email", "time zone", "managed by")
    with database.sessions() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            table.add_row(
                user.name, user.role, user.email or "", user.time_zone, user.managed_by or "api"
            )
    console.print(table)


def _rules_path(name: str) -> str:
    return f"/api/v1/users/{quote(name, safe='')}/notification-rules"


def _describe_rules(rules: list[dict[str, Any]], default: str) -> str:
    if not rules:
        return f"defaults ({default})"
    return "; ".join(
        f"{rule['method']} "
        + (f"after {rule['after_minutes']} min" if rule["after_minutes"] else "at once")
        for rule in rules
    )


def _print_rules(result: dict[str, Any]) -> None:
    rules = result["rules"]
    quiet = rules.get("quiet_hours")
    lines = [
        f"notification rules of {result['user']} (managed by {result['managed_by'] or 'api'})",
        "  high urgency: " + _describe_rules(rules["high_urgency"], "every contact method at once"),
        "  low urgency:  " + _describe_rules(rules["low_urgency"], "the first contact method"),
        "  quiet hours:  "
        + (f"{quiet['start']} to {quiet['end']} (their time zone)" if quiet else "none"),
    ]
    console.print("\n".join(lines), highlight=False, markup=False)


@users.command("rules")
def show_rules(
    name: Annotated[str, typer.Argument(help="Whose rules.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a person's notification rules (yours, or anyone's for admins)."""
    result = Remote(url, token).get(_rules_path(name))
    if as_json:
        print(json.dumps(result["rules"], indent=2))
        return
    _print_rules(result)


@users.command("set-rules")
def set_rules(
    name: Annotated[str, typer.Argument(help="Whose rules.")],
    file: Annotated[
        str,
        typer.Argument(
            help="YAML or JSON with high_urgency, low_urgency and quiet_hours, as under "
            "notification_rules.<person> in a configuration file; - reads standard input."
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Replace a person's notification rules (yours, or anyone's for admins)."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as error:
        fail(f"{file}: cannot read: {error.strerror or error}")
    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as error:
        fail(f"{file}: not valid YAML or JSON: {error}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        fail(f"{file}: expected a mapping with high_urgency, low_urgency and quiet_hours")
    # YAML may hold values JSON has no type for (dates): send them as text, the server decides.
    body = json.loads(json.dumps(data, default=str))
    result = Remote(url, token).request("PUT", _rules_path(name), json=body).json()
    _print_rules(result)


@tokens.command("create")
def create_token(
    user: Annotated[str, typer.Option("--user", help="Whose token it is.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create an API token and print it once."""
    database = open_database(data_dir, database_url)
    with database.transaction() as session:
        owner = accounts.find_user(session, user)
        if owner is None:
            fail(
                f"--user: {known_names.unknown_user(session, user)} "
                f"(create it with: tocsin user create {user})"
            )
        _, plain = accounts.create_token(
            session, owner, now=SystemClock().now(), actor=CLI_ACTOR, name=name
        )
    # Printed bare on stdout so scripts can capture it; it is not shown again.
    print(plain)


@tokens.command("list")
def list_tokens(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """List tokens (never their values)."""
    database = open_database(data_dir, database_url)
    table = Table("id", "user", "name", "prefix", "created", "last used", "revoked")
    with database.sessions() as session:
        rows = session.execute(
            select(ApiToken, User.name)
            .join(User, User.id == ApiToken.user_id)
            .order_by(ApiToken.id)
        )
        for token, owner in rows:
            table.add_row(
                str(token.id),
                owner,
                token.name,
                token.prefix + "…",
                f"{token.created_at:%Y-%m-%d %H:%M}",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "",
                f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
            )
    console.print(table)


@tokens.command("revoke")
def revoke_token(
    token_id: int, data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Revoke a token by id."""
    database = open_database(data_dir, database_url)
    with database.transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            fail(f"no token {token_id}")
        accounts.revoke_token(session, token, now=SystemClock().now(), actor=CLI_ACTOR)
    console.print(f"revoked token {token_id}", highlight=False)
