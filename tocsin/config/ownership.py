"""Which configuration file owns an object, for code that must not change it behind the file's back.

The API answers 409 "managed by configuration file X; change it there" when
:func:`managed_by` returns a file.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.desired import USER
from tocsin.config.tables import Definition


def managed_by(session: Session, kind: str, name: str) -> str | None:
    """The file (relative to the configuration directory) managing the object, or None.

    ``kind`` is a definition kind ("team", "service", "severity", ...) or
    "user"; None also when the object does not exist.
    """
    if kind == USER:
        return session.scalars(select(User.managed_by).where(User.name == name)).one_or_none()
    return session.scalars(
        select(Definition.managed_by).where(Definition.kind == kind, Definition.name == name)
    ).one_or_none()
