"""A postmortem's public version on its public incident: attached, refreshed, withdrawn.

Postmortems (:mod:`tocsin.postmortems.public`) render the public version and
hand it here as text: Markdown (Statuspage's ``postmortem_body``) and the HTML
its page shows. Attaching it sets the public incident's status to
``postmortem``, as Statuspage does; withdrawing it returns the incident to
``resolved`` and removes the text. Either drops the cached editions and
queues the static export, so every public output shows (or stops showing) it.
Attaching it with ``notify`` also tells the incident's subscribers, once.
Drills never reach the status page, so neither do their postmortems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict
from tocsin.incidents.tables import Incident
from tocsin.statuspage import exporting, freshness, subscriber_jobs
from tocsin.statuspage.publishing import FINISHED, for_incident
from tocsin.statuspage.tables import PublicIncident

#: Statuspage's status of an incident whose postmortem is published.
POSTMORTEM = "postmortem"


@dataclass(frozen=True)
class PublicText:
    """A postmortem's public version as the status page keeps it."""

    title: str
    #: Markdown, as Statuspage's ``postmortem_body``.
    body: str
    #: The same sections as HTML, shown inside the status page's own page.
    html: str


def _public_of(session: Session, incident: Incident) -> PublicIncident:
    if incident.drill:
        raise Conflict(
            f"{incident.reference} is a drill: drills and their postmortems are never shown "
            "on a status page"
        )
    found = session.scalar(
        select(PublicIncident).where(PublicIncident.incident_id == incident.id).with_for_update()
    )
    if found is None:
        raise Conflict(
            f"{incident.reference} is not on the status page: publish it there first, "
            "then its postmortem"
        )
    return found


def attach(
    session: Session,
    incident: Incident,
    text: PublicText,
    *,
    author: str,
    now: datetime,
    notify: bool = False,
) -> tuple[PublicIncident, bool]:
    """Show ``text`` as the postmortem of ``incident``'s public incident (again: refresh it);
    ``notify``: tell its subscribers too, unless they were told already (see
    :func:`~tocsin.statuspage.subscriber_jobs.queue_postmortem_fan_out`). Returns the
    public incident, and whether its subscribers are being told now."""
    public = _public_of(session, incident)
    if public.status not in FINISHED:
        raise Conflict(
            f"{incident.reference} is still {public.status} on the status page: resolve it "
            "there before publishing its postmortem"
        )
    first = public.postmortem_published_at is None
    public.postmortem_title = text.title[:300]
    public.postmortem_body = text.body
    public.postmortem_html = text.html
    public.postmortem_published_at = public.postmortem_published_at or now
    public.postmortem_updated_at = now
    public.status = POSTMORTEM
    public.updated_at = now
    _changed(session, public, author, "published" if first else "refreshed", now)
    told = notify and subscriber_jobs.queue_postmortem_fan_out(session, public, now)
    return public, told


def withdraw(session: Session, incident: Incident, *, author: str, now: datetime) -> PublicIncident:
    """Remove the postmortem from ``incident``'s public incident, which is resolved again."""
    public = _public_of(session, incident)
    if public.postmortem_published_at is None:
        raise Conflict(f"{incident.reference} has no postmortem on the status page")
    public.postmortem_title = public.postmortem_body = public.postmortem_html = None
    public.postmortem_published_at = public.postmortem_updated_at = None
    if public.status == POSTMORTEM:
        public.status = "resolved"
    public.updated_at = now
    _changed(session, public, author, "withdrawn", now)
    return public


def _changed(
    session: Session, public: PublicIncident, author: str, what: str, now: datetime
) -> None:
    session.flush()
    freshness.changed(session)
    exporting.queue(session, now)
    record(
        session,
        at=now,
        actor=author,
        action=f"status_page.postmortem.{what}",
        object_type="public_incident",
        object_key=public.code,
    )


def notified_at(session: Session, incident_id: int) -> datetime | None:
    """When the subscribers were told of ``incident_id``'s postmortem (None: never)."""
    shown = for_incident(session, incident_id)
    return shown.postmortem_notified_at if shown is not None else None
