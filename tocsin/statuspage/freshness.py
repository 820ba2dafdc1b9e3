"""Telling this process's cached page editions that a change was committed.

Kept apart from :mod:`tocsin.statuspage.published` so that the code making
changes need not import the code reading them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

_FORGETTERS: list[Callable[[], None]] = []


def on_change(forget: Callable[[], None]) -> None:
    """Call ``forget`` whenever a status page change commits in this process."""
    _FORGETTERS.append(forget)


def forget_all() -> None:
    for forget in list(_FORGETTERS):
        forget()


def changed(session: Session) -> None:
    """Have this process's editions dropped once ``session`` commits."""
    event.listen(session, "after_commit", lambda _: forget_all(), once=True)
