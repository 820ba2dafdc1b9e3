"""Editing a postmortem: its document while it is a draft, its owner and due date until closed.

An edit names only the fields it changes; each is checked before anything is
written (a 422 names the field, e.g. ``timeline.3.sequence``), so a refused
edit changes nothing. An edit that changes nothing writes nothing; one that
does is a new version with its diff and an entry on the incident's timeline.
An edit may say which version it was made on: when a newer one exists, it is
refused (409) rather than overwriting someone else's change.

Timeline items either name an entry of the incident's timeline by
``sequence`` (its time and text are taken from there, or kept as the document
had them, unless given) or are written by the author (``at`` and ``event``);
they are kept in time order.
Each of the Five Whys may cite timeline entries by sequence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.domain.postmortem_document import LIST_SECTIONS, diff
from tocsin.domain.postmortem_draft import clock_time, timeline_item, utc, why_key
from tocsin.domain.refusals import Conflict, Invalid
from tocsin.incidents.tables import TimelineRow
from tocsin.postmortems import facts, reminders, versions
from tocsin.postmortems.tables import CLOSED, DRAFT, Postmortem

#: Document fields an edit may set, besides the list sections.
TEXT_FIELDS = ("title", "date", "duration", "summary", "root_cause")


def check_version(postmortem: Postmortem, expected: int | None) -> None:
    """409 when the caller edited an older version than the current one."""
    if expected is not None and expected != postmortem.version:
        raise Conflict(
            f"{postmortem.reference} changed since version {expected} "
            f"(it is at version {postmortem.version}); reload it and edit again"
        )


def _entries(session: Session, incident_id: int, sequences: set[int]) -> dict[int, TimelineRow]:
    if not sequences:
        return {}
    rows = session.scalars(
        select(TimelineRow).where(
            TimelineRow.incident_id == incident_id, TimelineRow.sequence.in_(sorted(sequences))
        )
    )
    return {row.sequence: row for row in rows}


def _timeline(
    items: Sequence[Mapping[str, Any]],
    known: Mapping[int, TimelineRow],
    had: Sequence[Mapping[str, Any]],
    day: str,
) -> list[dict[str, Any]]:
    """The document's new timeline; an entry it had keeps its time and wording unless given."""
    before = {item["sequence"]: item for item in had if item.get("sequence") is not None}
    found = []
    for index, item in enumerate(items):
        sequence = item.get("sequence")
        if sequence is not None:
            row = known.get(sequence)
            if row is None:
                raise Invalid(
                    f"timeline.{index}.sequence", f"the incident has no entry #{sequence}"
                )
            entry = facts.entry_of(row)
            base = dict(before.get(sequence) or timeline_item(entry, day, why_key(entry)))
            if item.get("at") is not None:
                base.update(at=utc(item["at"]), time=clock_time(item["at"], day))
            if item.get("event"):
                base["event"] = item["event"]
            found.append(base)
            continue
        for name in ("at", "event"):
            if not item.get(name):
                raise Invalid(
                    f"timeline.{index}.{name}",
                    "required for an entry that names no incident timeline entry (sequence)",
                )
        at = item["at"]
        found.append(
            {"sequence": None, "at": utc(at), "time": clock_time(at, day), "event": item["event"]}
        )
    return sorted(found, key=lambda each: datetime.fromisoformat(each["at"]))


def _five_whys(items: Sequence[Mapping[str, Any]], known: Mapping[int, TimelineRow]) -> list[Any]:
    for index, item in enumerate(items):
        for place, sequence in enumerate(item.get("cites", [])):
            if sequence not in known:
                raise Invalid(
                    f"five_whys.{index}.cites.{place}", f"the incident has no entry #{sequence}"
                )
    return [
        {"why": item["why"], "answer": item.get("answer", ""), "cites": list(item.get("cites", []))}
        for item in items
    ]


def _extra(content: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    kinds = {s["key"]: s["kind"] for s in content.get("sections", [])}
    extra = dict(content.get("extra", {}))
    for key, value in given.items():
        if key not in extra:
            own = sorted(extra) or ["none"]
            raise Invalid(
                f"extra.{key}", f"not a section of this document's own; its own: {', '.join(own)}"
            )
        wanted = kinds.get(key, "text")
        if (wanted == "list") != isinstance(value, list):
            shape = "a list of points" if wanted == "list" else "text"
            raise Invalid(f"extra.{key}", f"must be {shape}")
        extra[key] = value
    return extra


def revised(session: Session, postmortem: Postmortem, given: Mapping[str, Any]) -> dict[str, Any]:
    """The document with ``given`` fields applied, each checked (422 naming the field)."""
    content = dict(postmortem.content)
    day = str(content.get("date", ""))
    cited = {c for why in given.get("five_whys") or [] for c in why.get("cites", [])}
    named = {i["sequence"] for i in given.get("timeline") or [] if i.get("sequence") is not None}
    known = _entries(session, postmortem.incident_id, cited | named)
    for name in (*TEXT_FIELDS, *LIST_SECTIONS):
        if given.get(name) is not None:
            content[name] = given[name]
    if given.get("authors") is not None:
        content["authors"] = list(dict.fromkeys(a.strip() for a in given["authors"]))
    if given.get("impact") is not None:
        content["impact"] = {**content.get("impact", {}), **given["impact"]}
    if given.get("timeline") is not None:
        content["timeline"] = _timeline(given["timeline"], known, content["timeline"], day)
    if given.get("five_whys") is not None:
        content["five_whys"] = _five_whys(given["five_whys"], known)
    if given.get("extra") is not None:
        content["extra"] = _extra(content, given["extra"])
    return content


def edit(
    session: Session,
    postmortem: Postmortem,
    given: Mapping[str, Any],
    *,
    author: str,
    now: datetime,
    expected_version: int | None = None,
) -> Postmortem:
    """Apply ``given`` document fields to a draft (see the module docstring)."""
    check_version(postmortem, expected_version)
    if postmortem.status != DRAFT:
        raise Conflict(
            f"{postmortem.reference} is {postmortem.status.replace('_', ' ')}; its document is "
            "edited while it is a draft (a reviewer's request for changes makes it one again)"
        )
    content = revised(session, postmortem, given)
    changes = diff(postmortem.content, content)
    if not changes:
        return postmortem
    postmortem.content = content
    versions.record(
        session,
        postmortem,
        author=author,
        action="edited",
        said=f"edited: {versions.fields_named(changes)}",
        now=now,
        changes=changes,
    )
    return postmortem


def check_owner(session: Session, owner: str) -> None:
    """422 naming ``owner`` when no user has that name."""
    if find_user(session, owner) is None:
        raise Invalid("owner", f"no user {owner!r}")


def reassign(
    session: Session,
    postmortem: Postmortem,
    *,
    owner: str | None = None,
    due_at: datetime | None = None,
    author: str,
    now: datetime,
    expected_version: int | None = None,
) -> Postmortem:
    """Give the postmortem another owner or due date (reminders follow the new date)."""
    check_version(postmortem, expected_version)
    if postmortem.status == CLOSED:
        raise Conflict(f"{postmortem.reference} is closed")
    before = {"owner": postmortem.owner, "due_at": utc(postmortem.due_at)}
    if owner is not None:
        check_owner(session, owner)
        postmortem.owner = owner
    if due_at is not None:
        postmortem.due_at = due_at
    changes = diff(before, {"owner": postmortem.owner, "due_at": utc(postmortem.due_at)})
    if not changes:
        return postmortem
    said = "; ".join(f"{c.field} {c.before or 'none'} → {c.after}" for c in changes)
    versions.record(
        session,
        postmortem,
        author=author,
        action="reassigned",
        said=f"changed: {said}",
        now=now,
        changes=changes,
    )
    if due_at is not None:
        reminders.plan(session, postmortem, now)
    return postmortem
