"""The blameless language check of postmortems, with the organisation's rules and people.

The rules are :mod:`tocsin.domain.blameless`'s, less those the settings switch
off (``postmortems.blameless.disabled``), plus the organisation's own
(``postmortems.blameless.rules``). The people a sentence may blame are the
users Tocsin knows: their user names, full names and first names. The check
advises: nothing is refused because of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.domain import blameless
from tocsin.domain.blameless import Flag, Rule
from tocsin.postmortems import configured


def rules(session: Session) -> tuple[Rule, ...]:
    settings = configured.settings(session).blameless
    own = [
        blameless.own_rule(rule.id, rule.pattern, rule.explanation, rule.alternative)
        for rule in settings.rules
    ]
    return blameless.rule_set(settings.disabled, own)


def people(session: Session) -> list[str]:
    """Every name a sentence may call a user by."""
    found: list[str] = []
    for name, full_name in session.execute(select(User.name, User.full_name)):
        found.append(name)
        if full_name:
            found.extend([full_name, full_name.split()[0]])
    return found


def check_text(session: Session, text: str) -> list[Flag]:
    return blameless.check(text, rules(session), people=people(session))


def check_document(session: Session, document: Mapping[str, Any]) -> list[Flag]:
    return blameless.check_document(document, rules(session), people=people(session))
