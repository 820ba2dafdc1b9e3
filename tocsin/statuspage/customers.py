"""Proactive customer notifications: enterprise customers told by email, per service.

``status_page.customers`` lists, per service, the email addresses of the
customers who use it. When a Tocsin incident on one of those services is
published, when its public incident is resolved, and when its
post-resolution summary is approved (:mod:`tocsin.statuspage.speaking`),
each of those addresses gets one mail from the ``customer_notification``
template (public context, with ``event``: ``published``, ``resolved`` or
``summary``, and ``summary``: the approved text or ""). Each mail is keyed by
public incident, event (the update for the first two) and address, so it is
sent at most once. Backfilled incidents (posted after the fact) tell nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.incidents import recorder, records
from tocsin.incidents.tables import Incident
from tocsin.statuspage import components as component_states
from tocsin.statuspage import drafting, messages
from tocsin.statuspage.config_schema import TemplateName
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

PUBLISHED, RESOLVED, SUMMARY = "published", "resolved", "summary"


def addresses(session: Session, incident: Incident) -> list[str]:
    """The customers of the incident's services, each once."""
    customers = component_states.settings(session).customers
    found: dict[str, None] = {}
    for service in records.services(session, incident.id):
        found.update(dict.fromkeys(customers.get(service, [])))
    return list(found)


def notify(
    session: Session,
    incident: Incident,
    public: PublicIncident,
    *,
    event: str,
    key: str,
    now: datetime,
    summary: str = "",
) -> list[str]:
    """Queue the customer notification for ``event`` to every customer; note it on the timeline."""
    to = addresses(session, incident)
    if not to:
        return []
    subject = drafting.Subject(incident, public)
    extra = {"event": event, "summary": summary}
    body, failure = drafting.draft_or_default(
        session, TemplateName.CUSTOMER_NOTIFICATION, subject, now, extra
    )
    title = component_states.settings(session).title
    queued = []
    for address in to:
        outgoing = messages.Outgoing(
            subject=f"{title}: {public.name} ({event})",
            body=body,
            event=messages.CUSTOMER,
            incident=incident.reference,
            address=address,
        )
        if messages.queue(session, outgoing, key=f"customer:{public.id}:{key}:{address}", now=now):
            queued.append(address)
    if queued:
        text = f"Customers notified ({event}): {', '.join(queued)}"
        recorder.append(
            session,
            incident.id,
            EntryDraft(
                kind=EntryKind.NOTE,
                note_kind=NoteKind.ACTION,
                text=text + (f"; {failure}" if failure else ""),
                author="tocsin",
                details={"statuspage": "customers", "event": event},
            ),
            now,
        )
    return queued


def after_update(
    session: Session,
    incident: Incident,
    public: PublicIncident,
    update: PublicUpdate,
    now: datetime,
) -> None:
    """Tell customers when ``update`` publishes the incident or resolves it."""
    if public.kind != "incident" or public.backfilled:
        return
    count = session.scalar(select(func.count()).where(PublicUpdate.public_incident_id == public.id))
    if count == 1:
        notify(session, incident, public, event=PUBLISHED, key=update.code, now=now)
    if update.status == "resolved":
        notify(session, incident, public, event=RESOLVED, key=update.code, now=now)
