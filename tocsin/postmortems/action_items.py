"""Action items: added, changed, finished, each change in the item's history.

:func:`add` and :func:`change` are the only two ways an action item is written.

An action item may come from a postmortem (and so belong to its incident
too), be linked to an incident alone, or stand alone (created directly, for
a team). Every change is recorded where the item belongs:

- always in the audit log (object type ``action_item``, key ``AI-7``): the
  item's own history, whatever it is linked to, shown on its page;
- with a postmortem: as a version of it (``action_items.AI-7.status: open →
  done``) with its entry on the incident's timeline, and it may close or
  reopen the postmortem (:func:`tocsin.postmortems.workflow.settle`). Items
  are added and changed in every state of the postmortem: they are worked on
  long after it is published;
- with an incident but no postmortem: as an entry on the incident's timeline.

The caller holds the locks: the incident's (and the postmortem's) when the
item has them (:func:`tocsin.postmortems.action_item_finding.find` with
``lock=True`` takes them in order). Adding an item, or changing its due date,
owner or status, plans its owner's reminders
(:mod:`tocsin.postmortems.action_item_reminders`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.config import known_names
from tocsin.config.organisation import TEAM
from tocsin.db import audit
from tocsin.domain import postmortem_workflow as rules
from tocsin.domain.postmortem_document import Change
from tocsin.domain.postmortem_workflow import FINISHED, ItemStatus, WorkflowError
from tocsin.domain.refusals import Invalid, NotFound
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.incidents import recorder
from tocsin.incidents.tables import IncidentService
from tocsin.postmortems import (
    action_item_finding,
    action_item_reminders,
    tracker_push,
    versions,
    workflow,
)
from tocsin.postmortems.tables import ActionItem, Postmortem

#: The fields an action item's change may set.
FIELDS = ("description", "owner", "priority", "type", "due_date", "team", "status", "reason")


@dataclass(frozen=True)
class NewItem:
    description: str
    priority: str
    type: str
    owner: str | None = None
    due_date: date | None = None
    #: None: the team owning the incident's first affected service (see ``ActionItem.team``).
    team: str | None = None
    #: The incident it is linked to (locked by the caller); a postmortem's item has its one.
    incident_id: int | None = None


def _check(session: Session, values: Mapping[str, Any]) -> None:
    description = values.get("description", "x")
    if not isinstance(description, str) or not description.strip():
        raise Invalid("description", "required")
    if values.get("priority", "P1") not in rules.PRIORITIES:
        raise Invalid("priority", f"must be one of {', '.join(rules.PRIORITIES)}")
    if values.get("type", "detect") not in rules.ITEM_TYPES:
        raise Invalid("type", f"must be one of {', '.join(rules.ITEM_TYPES)}")
    owner = values.get("owner")
    if owner is not None and find_user(session, owner) is None:
        raise Invalid("owner", f"no user {owner!r}")
    team = values.get("team")
    if team is not None:
        teams = known_names.defined(session, TEAM)
        if team not in teams:
            raise Invalid("team", known_names.unknown("team", "teams", team, teams))


def _incident_team(session: Session, incident_id: int) -> str | None:
    services = session.scalars(
        select(IncidentService.name).where(IncidentService.incident_id == incident_id)
    ).all()
    return known_names.owning_team(session, services)


def as_data(item: ActionItem) -> dict[str, Any]:
    return {
        "description": item.description,
        "owner": item.owner,
        "priority": item.priority,
        "type": item.type,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "team": item.team,
        "status": item.status,
        "reason": item.reason,
    }


def listing(session: Session, postmortem: Postmortem) -> list[ActionItem]:
    return list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.postmortem_id == postmortem.id)
            .order_by(ActionItem.id)
        )
    )


def find(session: Session, postmortem: Postmortem, item_id: int) -> ActionItem:
    item = session.get(ActionItem, item_id)
    if item is None or item.postmortem_id != postmortem.id:
        raise NotFound(f"{postmortem.reference} has no action item AI-{item_id}")
    return item


def _record(
    session: Session,
    postmortem: Postmortem | None,
    item: ActionItem,
    *,
    author: str,
    action: str,
    said: str,
    now: datetime,
    changes: list[Change],
    comment: str | None = None,
) -> int:
    """Record a change of ``item`` in its history, and where it belongs (see the module);
    the history entry's id, which names this change."""
    entry = audit.record(
        session,
        at=now,
        actor=author,
        action=action,
        object_type=action_item_reminders.OBJECT_TYPE,
        object_key=item.reference,
        detail={
            "said": said,
            "changes": [change.as_data() for change in changes],
            **({"comment": comment} if comment else {}),
        },
    )
    if postmortem is not None:
        versions.record(
            session,
            postmortem,
            author=author,
            action=action,
            said=said,
            now=now,
            changes=changes,
            comment=comment,
        )
        workflow.settle(session, postmortem, author=author, now=now)
    elif item.incident_id is not None:
        recorder.append(
            session,
            item.incident_id,
            EntryDraft(
                kind=EntryKind.NOTE,
                note_kind=NoteKind.ACTION,
                text=f"Action item {said}",
                author=author,
                details={"action_item": item.reference, "action_item_action": action},
            ),
            now,
        )
    session.flush()
    return entry.id


def add(
    session: Session,
    postmortem: Postmortem | None,
    new: NewItem,
    *,
    author: str,
    now: datetime,
) -> ActionItem:
    """A new open action item, of ``postmortem`` and its incident, of ``new.incident_id``, or
    of neither (whatever it belongs to is locked by the caller)."""
    _check(session, asdict(new))
    incident_id = postmortem.incident_id if postmortem is not None else new.incident_id
    team = new.team
    if team is None and incident_id is not None:
        team = _incident_team(session, incident_id)
    item = ActionItem(
        postmortem_id=postmortem.id if postmortem is not None else None,
        incident_id=incident_id,
        description=new.description.strip(),
        owner=new.owner,
        priority=new.priority,
        type=new.type,
        due_date=new.due_date,
        team=team,
        status=ItemStatus.OPEN.value,
        created_at=now,
        created_by=author,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    gained = f"{item.reference} ({item.priority}, {item.type}): {item.description}"
    recorded = _record(
        session,
        postmortem,
        item,
        author=author,
        action="action_item_added",
        said=f"gained action item {gained}" if postmortem is not None else f"{gained} added",
        now=now,
        changes=[Change(f"action_items.{item.reference}", None, as_data(item))],
    )
    action_item_reminders.plan(session, item, now)
    tracker_push.queue(session, item, recorded, now)
    return item


def create(session: Session, given: Mapping[str, Any], *, author: str, now: datetime) -> ActionItem:
    """A new open action item for the ``incident`` and the ``postmortem`` that ``given``
    names by reference (either, both or neither; see :func:`action_item_finding.links`),
    with :class:`NewItem`'s other fields."""
    fields = dict(given)
    postmortem, incident_id = action_item_finding.links(
        session, fields.pop("incident", None), fields.pop("postmortem", None)
    )
    new = NewItem(**fields, incident_id=incident_id)
    return add(session, postmortem, new, author=author, now=now)


#: The fields whose change plans the owner's reminders again.
_REMINDED = ("owner", "due_date", "status")


def change(
    session: Session,
    postmortem: Postmortem | None,
    item: ActionItem,
    given: Mapping[str, Any],
    *,
    author: str,
    now: datetime,
) -> ActionItem:
    """Apply ``given`` fields (see :data:`FIELDS`) to ``item`` (of ``postmortem``, if it has one);
    won't do needs a reason."""
    _check(session, given)
    before = as_data(item)
    for name in ("description", "owner", "priority", "type", "due_date", "team"):
        if name in given:
            value = given[name]
            setattr(item, name, value.strip() if name == "description" else value)
    if "status" in given or "reason" in given:
        try:
            moved = rules.change_item(given.get("status", item.status), given.get("reason"))
        except WorkflowError as error:
            raise Invalid(error.field or "status", str(error)) from error
        item.status, item.reason = moved.status.value, moved.reason
        item.done_at = (item.done_at or now) if moved.status in FINISHED else None
    after = as_data(item)
    changes = [
        Change(f"action_items.{item.reference}.{name}", before[name], after[name])
        for name in FIELDS
        if before[name] != after[name]
    ]
    if not changes:
        return item
    item.updated_at = now
    named = {c.field.rsplit(".", 1)[1] for c in changes}
    said = "; ".join(f"{c.field.rsplit('.', 1)[1]} {c.before} → {c.after}" for c in changes)
    recorded = _record(
        session,
        postmortem,
        item,
        author=author,
        action="action_item_changed",
        said=f"action item {item.reference} changed: {said}"
        if postmortem is not None
        else f"{item.reference} changed: {said}",
        now=now,
        changes=changes,
        comment=item.reason if "reason" in named else None,
    )
    if named & set(_REMINDED):
        action_item_reminders.plan(session, item, now)
    tracker_push.queue(session, item, recorded, now)
    return item
