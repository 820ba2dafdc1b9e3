"""Subscribers as CSV: the export, and an import that writes everything or nothing.

The export has one row per subscriber with the columns :data:`COLUMNS`;
``components`` holds component names separated by ``;`` (empty: all).

The import reads columns by their header, in any order and case:

- ``type`` (or ``mode``): ``email`` (the default), ``webhook``, ``slack``, ``teams``;
- ``address`` (or ``email``, ``endpoint``, ``url``): the address;
- ``components``: names separated by ``;`` or ``|`` (empty: all);
- ``page``: a page's slug (empty: the main page);
- ``owner_email``; ``confirmed`` (``yes``/``no``, ``true``/``false``, ``1``/``0``):
  an email row marked confirmed skips the opt-in mail, others get it.

So a Statuspage subscriber export, reduced to its ``email`` and components
columns, imports as it is. A row for an existing subscriber (same page,
type and address) replaces its components, as Statuspage's import does.
Every row is checked first; when any is wrong, nothing is written and every
wrong row is reported with its line number (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.domain.refusals import Invalid, NotFound
from tocsin.statuspage import subscribers
from tocsin.statuspage.audiences import Audience
from tocsin.statuspage.subscribers import EMAIL, NewSubscriber
from tocsin.statuspage.tables import Subscriber

COLUMNS = ("type", "address", "page", "components", "owner_email", "confirmed", "created_at")
ALIASES = {
    "type": "type",
    "mode": "type",
    "address": "address",
    "email": "address",
    "endpoint": "address",
    "url": "address",
    "components": "components",
    "page": "page",
    "owner_email": "owner_email",
    "confirmed": "confirmed",
}
YES = frozenset({"yes", "true", "1", "y"})
NO = frozenset({"no", "false", "0", "n", ""})
#: Rows an import takes at most.
MAX_ROWS = 100_000
#: Wrong rows reported at most (the rest are counted).
MAX_REPORTED = 50


def export(rows: Iterable[Subscriber]) -> Iterable[str]:
    """The CSV text, a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                row.channel,
                row.address,
                row.page,
                ";".join(str(name) for name in row.components or []),
                row.owner_email or "",
                "yes" if row.confirmed_at else "no",
                row.created_at.isoformat(),
            ]
        )
        yield buffer.getvalue()


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    opt_in_sent: int


def _header(names: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        column = ALIASES.get(name.strip().lower().replace(" ", "_"))
        if column is not None and column not in found:
            found[column] = index
    if "address" not in found:
        raise Invalid("csv", "line 1: the header names no address column (address or email)")
    return found


def _split(text: str) -> list[str] | None:
    names = [name.strip() for name in text.replace("|", ";").split(";") if name.strip()]
    return names or None


class _Reader:
    """Checks rows against the pages and what exists, caching what it read."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pages: dict[str, Audience] = {}
        self.offered: dict[str, list[str]] = {}

    def page(self, slug: str) -> Audience:
        if slug not in self.pages:
            self.pages[slug] = page = subscribers.page_of(self.session, slug)
            self.offered[slug] = subscribers.offered_components(self.session, page)
        return self.pages[slug]

    def row(self, values: dict[str, str]) -> NewSubscriber:
        channel = values.get("type", "").strip().lower() or EMAIL
        address = subscribers.address_of(channel, values.get("address", ""))
        try:
            page = self.page(values.get("page", "").strip())
        except NotFound as error:
            raise Invalid("page", str(error)) from None
        components = subscribers.chosen_components(
            self.session,
            page,
            _split(values.get("components", "")),
            offered=self.offered[page.slug],
        )
        owner = values.get("owner_email", "").strip()
        confirmed = values.get("confirmed", "").strip().lower()
        if confirmed not in YES | NO:
            raise Invalid("confirmed", f"expected yes or no, got {confirmed!r}")
        return NewSubscriber(
            channel=channel,
            address=address,
            page=page.slug,
            components=components,
            owner_email=subscribers.email_address("owner_email", owner) if owner else None,
            confirmed=confirmed in YES,
        )


def _parse(session: Session, text: str) -> list[NewSubscriber]:
    reader_lines = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        # Read whole first: a malformed line (a stray carriage return) is refused by number.
        lines = iter(list(reader_lines))
    except csv.Error as error:
        raise Invalid("csv", f"line {reader_lines.line_num}: {error}") from error
    header = next(lines, None)
    if header is None:
        raise Invalid("csv", "line 1: the file is empty; it needs a header line")
    columns = _header(header)
    reader = _Reader(session)
    rows: list[NewSubscriber] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, cells in enumerate(lines, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise Invalid("csv", f"line {number}: an import takes at most {MAX_ROWS} rows")
        values = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        try:
            row = reader.row(values)
        except Invalid as error:
            errors.append(f"line {number}: {error.field}: {error.reason}")
            continue
        key = (row.page, row.channel, row.address)
        if key in seen:
            errors.append(f"line {number}: repeats line {seen[key]}")
            continue
        seen[key] = number
        rows.append(row)
    if errors:
        shown = errors[:MAX_REPORTED]
        more = len(errors) - len(shown)
        message = "; ".join(shown) + (f"; and {more} more" if more else "")
        raise Invalid("csv", f"nothing was imported: {message}")
    return rows


def import_csv(session: Session, text: str, *, key: bytes, actor: str, now: datetime) -> Imported:
    """Check every row, then create or update them all (caller's transaction)."""
    rows = _parse(session, text)
    existing = {
        (row.page, row.channel, row.address): row
        for row in session.scalars(select(Subscriber).with_for_update())
    }
    created = updated = opt_in = 0
    for row in rows:
        found = existing.get((row.page, row.channel, row.address))
        if found is not None:
            found.components = list(row.components) if row.components is not None else None
            found.owner_email = row.owner_email or found.owner_email
            updated += 1
            continue
        subscriber = subscribers.add(session, row, key, now)
        created += 1
        if subscriber.confirmed_at is None:
            subscribers.queue_opt_in(session, subscriber, now)
            opt_in += 1
    record(
        session,
        at=now,
        actor=actor,
        action="status_page.subscriber.import",
        object_type="status_subscriber",
        detail={"created": created, "updated": updated, "opt_in_sent": opt_in},
    )
    return Imported(created, updated, opt_in)
