"""Messages for names that resolve to nothing, and users for people named but not defined.

References must resolve within the configuration directory (people aside:
see :func:`people`), so reviewing a change to the files is enough to know it
is complete. Each capability checks the references of its own kinds
(``checks`` of its :class:`~tocsin.config.kinds.KindSet`) with :func:`unknown`.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable

from tocsin.config.catalog import Catalog
from tocsin.config.desired import DesiredUser, Origin
from tocsin.config.errors import Issue, Level
from tocsin.config.kinds import People

_LISTED_AT_MOST = 10


def unknown(what: str, name: str, known: Collection[str]) -> str:
    """ "unknown team 'x'", with the closest defined name or the list of defined ones."""
    message = f"unknown {what} {name!r}"
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"{message} (did you mean {close[0]!r}?)"
    if not known:
        return f"{message}; none is defined"
    if len(known) <= _LISTED_AT_MOST:
        return f"{message}; defined: {', '.join(sorted(known))}"
    return message


def people(catalog: Catalog, named: Iterable[People]) -> list[DesiredUser]:
    """Users for people who are named somewhere but defined under no ``users:`` key.

    ``named`` are the capabilities' ways of finding the people their objects
    name. Each person gets a warning at the first place that names them, and a
    user without contact methods (owned by that file) so schedules and
    policies resolve.
    """
    first: dict[str, Issue] = {}
    for person, entry, at in (found for each in named for found in each(catalog)):
        if person in catalog.users:
            continue
        message = (
            f"{person!r} is not defined under users in any file; "
            "they get a user without contact methods and cannot be paged"
        )
        issue = entry.issue(message, at=at, level=Level.WARNING)
        previous = first.get(person)
        if previous is None or (issue.file, issue.line) < (previous.file, previous.line):
            first[person] = issue
    catalog.issues.extend(first.values())
    return [
        DesiredUser(name=person, origin=Origin(issue.file, issue.line), implicit=True)
        for person, issue in sorted(first.items())
    ]
