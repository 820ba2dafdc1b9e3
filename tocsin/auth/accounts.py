"""Users, API tokens and browser sessions in the database.

Shared by the API, the web console and the CLI so all three apply the same
rules and write the same audit entries.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth import secrets
from tocsin.auth.roles import Role, parse_role
from tocsin.auth.tables import ApiToken, User, WebSession
from tocsin.auth.throttle import Throttled
from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict

SESSION_LIFETIME = timedelta(hours=12)
#: How precisely a token's last use is recorded.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 8
#: The audit actor of what happens before anyone is authenticated (a failed login).
ANONYMOUS = "(anonymous)"


class AccountError(Conflict):
    """An account change refused (a name taken, a password too short); the message says why.

    A :class:`Conflict` (409) through the API, whose schemas check a password's
    length before it gets here; the CLI prints the message.
    """


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: int
    name: str
    role: str
    #: "token" or "session"; sessions must also pass the CSRF check on writes.
    via: str
    csrf_token: str | None = None


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def create_user(
    session: Session,
    *,
    now: datetime,
    actor: str,
    name: str,
    email: str | None,
    role: str,
    full_name: str = "",
    time_zone: str = "UTC",
    password: str | None = None,
    remote_addr: str | None = None,
) -> User:
    """Add a user; ``time_zone`` is the callers' to check (the API's schema, the CLI)."""
    checked_role: Role = parse_role(role)
    if find_user(session, name) is not None:
        raise AccountError(f"a user named {name!r} already exists")
    user = User(
        name=name,
        full_name=full_name,
        email=email,
        time_zone=time_zone,
        role=checked_role,
        contact_methods=[],
        spec={},
        created_at=now,
        updated_at=now,
    )
    if password is not None:
        user.password_hash = secrets.hash_password(check_password(password))
    session.add(user)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="user.create",
        object_type="user",
        object_key=name,
        detail={"role": checked_role, "email": email},
        remote_addr=remote_addr,
    )
    return user


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    now: datetime,
    actor: str,
    remote_addr: str | None = None,
) -> None:
    user.password_hash = secrets.hash_password(check_password(password))
    user.updated_at = now
    record(
        session,
        at=now,
        actor=actor,
        action="user.set_password",
        object_type="user",
        object_key=user.name,
        remote_addr=remote_addr,
    )


def create_token(
    session: Session,
    user: User,
    *,
    now: datetime,
    actor: str,
    name: str = "",
    remote_addr: str | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token; the plain value is returned once and never stored."""
    plain = secrets.new_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=plain[: len(secrets.TOKEN_PREFIX) + 6],
        token_hash=secrets.digest(plain),
        created_at=now,
    )
    session.add(token)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="token.create",
        object_type="api_token",
        object_key=str(token.id),
        detail={"user": user.name, "name": name},
        remote_addr=remote_addr,
    )
    return token, plain


def revoke_token(
    session: Session, token: ApiToken, *, now: datetime, actor: str, remote_addr: str | None = None
) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        record(
            session,
            at=now,
            actor=actor,
            action="token.revoke",
            object_type="api_token",
            object_key=str(token.id),
            remote_addr=remote_addr,
        )


def principal_for_token(session: Session, plain: str, *, now: datetime) -> Principal | None:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == secrets.digest(plain), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    token, user = row
    # Recorded to the minute: writing on every request would turn each read into a write.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        token.last_used_at = now
    return Principal(user_id=user.id, name=user.name, role=user.role, via="token")


def password_hash(session: Session, name: str) -> str | None:
    """The stored password hash of user ``name``; None when there is no such user or password.

    Read in a transaction of its own: the (slow) check happens after it ends,
    so a password check never holds the database.
    """
    user = find_user(session, name)
    return user.password_hash if user is not None else None


def open_session(
    session: Session, name: str, *, now: datetime, remote_addr: str | None = None
) -> tuple[str, WebSession] | None:
    """Open a browser session for ``name`` whose password was checked; None if they are gone."""
    user = find_user(session, name)
    if user is None:
        return None
    plain = random.token_urlsafe(32)
    web = WebSession(
        token_hash=secrets.digest(plain),
        user_id=user.id,
        csrf_token=random.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(web)
    record(
        session,
        at=now,
        actor=user.name,
        action="session.login",
        object_type="user",
        object_key=user.name,
        remote_addr=remote_addr,
    )
    return plain, web


def login_failed(
    session: Session,
    name: str,
    *,
    now: datetime,
    throttled: Sequence[Throttled] = (),
    remote_addr: str | None = None,
) -> None:
    """Audit a failed login for ``name``, and each throttle it started."""
    record(
        session,
        at=now,
        actor=ANONYMOUS,
        action="session.login_failed",
        object_type="user",
        object_key=name,
        remote_addr=remote_addr,
    )
    for each in throttled:
        record(
            session,
            at=now,
            actor=ANONYMOUS,
            action="session.login_throttled",
            object_type="user" if each.scope == "user" else "address",
            object_key=each.key,
            detail={"scope": each.scope, "retry_after_seconds": each.seconds, "user": name},
            remote_addr=remote_addr,
        )


def principal_for_session(session: Session, plain: str, *, now: datetime) -> Principal | None:
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == secrets.digest(plain), WebSession.expires_at > now)
    ).first()
    if row is None:
        return None
    web, user = row
    return Principal(
        user_id=user.id, name=user.name, role=user.role, via="session", csrf_token=web.csrf_token
    )


def logout(
    session: Session, plain: str, *, now: datetime, actor: str, remote_addr: str | None = None
) -> None:
    web = session.scalar(select(WebSession).where(WebSession.token_hash == secrets.digest(plain)))
    if web is not None:
        session.delete(web)
        record(
            session,
            at=now,
            actor=actor,
            action="session.logout",
            object_type="user",
            object_key=actor,
            remote_addr=remote_addr,
        )


def delete_user(
    session: Session, user: User, *, now: datetime, actor: str, remote_addr: str | None = None
) -> None:
    session.delete(user)
    record(
        session,
        at=now,
        actor=actor,
        action="user.delete",
        object_type="user",
        object_key=user.name,
        remote_addr=remote_addr,
    )
