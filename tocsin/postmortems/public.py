"""Publishing a postmortem publicly: its public version on the incident's status page entry.

Only a published or closed postmortem can be made public, never a drill's,
and only once its incident is on the status page and resolved there. Making
it public renders the public version (:mod:`tocsin.postmortems.documents`) and
hands it to :mod:`tocsin.statuspage.public_postmortems`, which sets the public
incident's status to ``postmortem``; doing it again refreshes the text (after
an action item moved on, say). Withdrawing removes it from every public
output. Each is a version of the postmortem and an entry on the incident's
timeline, in the caller's transaction (the postmortem found with ``lock=True``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.postmortem_document import Change
from tocsin.domain.refusals import Conflict
from tocsin.incidents import records
from tocsin.postmortems import documents, versions
from tocsin.postmortems.tables import Postmortem
from tocsin.statuspage import public_postmortems
from tocsin.statuspage.public_postmortems import PublicText


def public_text(session: Session, postmortem: Postmortem, now: datetime) -> PublicText:
    """The public version as the status page keeps it: Markdown and HTML of one rendering."""
    rendering = documents.build(session, postmortem, public=True, now=now)
    return PublicText(
        title=rendering.title,
        body=documents.markdown(rendering),
        html=documents.fragment(rendering),
    )


def make_public(
    session: Session, postmortem: Postmortem, *, author: str, now: datetime, notify: bool = False
) -> str:
    """Put the public version on the status page (again: refresh it); returns its public code.

    ``notify`` tells the status page's subscribers too, the first time it is asked.
    """
    documents.may_be_public(postmortem)
    incident = records.find(session, str(postmortem.incident_id))
    public, told = public_postmortems.attach(
        session,
        incident,
        public_text(session, postmortem, now),
        author=author,
        now=now,
        notify=notify,
    )
    before = postmortem.public_at
    postmortem.public_at, postmortem.public_by = before or now, author
    said = (
        f"published publicly on the status page (incident {public.code})"
        if before is None
        else f"refreshed on the status page (incident {public.code})"
    )
    versions.record(
        session,
        postmortem,
        author=author,
        action="made_public" if before is None else "public_refreshed",
        said=f"{said}; its subscribers are told" if told else said,
        now=now,
        changes=[Change("public_at", _when(before), _when(postmortem.public_at))],
    )
    return public.code


def subscribers_told(session: Session, postmortem: Postmortem) -> datetime | None:
    """When the status page's subscribers were told of the postmortem (None: never)."""
    return public_postmortems.notified_at(session, postmortem.incident_id)


def withdraw(session: Session, postmortem: Postmortem, *, author: str, now: datetime) -> None:
    """Take the public version off the status page."""
    if postmortem.public_at is None:
        raise Conflict(f"{postmortem.reference} is not public")
    incident = records.find(session, str(postmortem.incident_id))
    public = public_postmortems.withdraw(session, incident, author=author, now=now)
    before = postmortem.public_at
    postmortem.public_at, postmortem.public_by = None, None
    versions.record(
        session,
        postmortem,
        author=author,
        action="public_withdrawn",
        said=f"withdrawn from the status page (incident {public.code})",
        now=now,
        changes=[Change("public_at", _when(before), None)],
    )


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
