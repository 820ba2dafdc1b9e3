"""Names that exist (services, schedules, users...), for errors that list them.

A name a person typed that matches nothing is refused with the names that
would have worked, so a typo, or an example copied from the docs that does not
match this installation, shows at once instead of being accepted silently or
refused without a clue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.catalog import Kind
from tocsin.config.organisation import SERVICE, SERVICE_KIND, TEAM
from tocsin.config.tables import Definition
from tocsin.domain.refusals import Invalid

#: At most this many names are listed; a longer list ends with "and N more".
LISTED = 20


def defined(session: Session, kind: str) -> list[str]:
    """The names of every definition of ``kind``, in order."""
    query = select(Definition.name).where(Definition.kind == kind)
    return list(session.scalars(query.order_by(Definition.position, Definition.name)))


def team_services(session: Session, team: str) -> list[str]:
    """The services that belong to ``team``; :class:`Invalid` naming the teams when unknown."""
    teams = defined(session, TEAM)
    if team not in teams:
        raise Invalid("team", unknown("team", "teams", team, teams), where="query")
    rows = session.execute(
        select(Definition.name, Definition.spec).where(Definition.kind == SERVICE)
    ).all()
    return sorted(name for name, spec in rows if (spec or {}).get("team") == team)


def owning_team(session: Session, services: Sequence[str]) -> str | None:
    """The team that owns the first of ``services`` (by name) that has one, else None."""
    if not services:
        return None
    rows = session.execute(
        select(Definition.name, Definition.spec).where(
            Definition.kind == SERVICE, Definition.name.in_(services)
        )
    ).all()
    teams = {name: (spec or {}).get("team") for name, spec in rows}
    return next((teams[name] for name in sorted(teams) if teams[name]), None)


def users(session: Session) -> list[str]:
    """Every user's name, sorted."""
    return list(session.scalars(select(User.name).order_by(User.name)))


def listing(names: Sequence[str]) -> str:
    """``a, b, c`` (cut after :data:`LISTED` names)."""
    shown = ", ".join(names[:LISTED])
    if len(names) > LISTED:
        shown += f" and {len(names) - LISTED} more"
    return shown


def unknown(one: str, many: str, name: str, known: Sequence[str]) -> str:
    """``no service named 'payments'; services: checkout``."""
    if not known:
        return f"no {one} named {name!r}; there are no {many} yet"
    return f"no {one} named {name!r}; {many}: {listing(known)}"


def unknown_definition(session: Session, kind: Kind[Any], name: str) -> str:
    """The message for a ``kind`` (service, schedule, ...) that is not defined."""
    return unknown(kind.one, kind.many, name, defined(session, kind.name))


def unknown_user(session: Session, name: str) -> str:
    """The message for a user that does not exist."""
    return unknown("user", "users", name, users(session))


def undefined_service(session: Session, names: Sequence[str]) -> tuple[int, str] | None:
    """The first of ``names`` that is not a defined service: its index and the message.

    Until configuration defines a service, any name goes (there is nothing to
    check against); from then on, only defined services do.
    """
    known = defined(session, SERVICE)
    if not known:
        return None
    for index, name in enumerate(names):
        if name not in known:
            return index, unknown(SERVICE_KIND.one, SERVICE_KIND.many, name, known)
    return None


def unknown_service_filter(session: Session, name: str, seen: Select[str]) -> str | None:
    """None when ``name`` is a defined service or one that records carry (``seen``:
    their distinct service names); otherwise the message listing both.

    A name that some record carries is accepted at once, through the index on
    ``seen``'s column, before the search of every name that the message needs.
    """
    if session.scalar(seen.where(seen.selected_columns[0] == name).limit(1)) is not None:
        return None
    known = defined(session, SERVICE)
    if name in known:
        return None
    recorded = set(session.scalars(seen.distinct()))
    if name in recorded:
        return None
    return unknown(SERVICE_KIND.one, SERVICE_KIND.many, name, sorted({*known, *recorded}))
