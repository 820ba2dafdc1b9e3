"""Proposing "update the runbook" when a postmortem is drafted for an incident whose alerts had one.

An alert may carry a runbook link (``Alert.runbook_url``, from its source's
``runbook_url`` annotation or detail). What the incident taught belongs in
those runbooks, so drafting the postmortem adds one open action item per
distinct link (http or https), in the order the alerts first carried them:
type ``process``, priority P2, owned by the postmortem's owner, created by
``tocsin``, described as "Update the runbook <url> with what INC-12 taught".
They are proposals: a runbook that needs no change is marked won't do, with a
reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert
from tocsin.postmortems import action_items
from tocsin.postmortems.tables import ActionItem, Postmortem

AUTHOR = "tocsin"


def runbook_links(session: Session, incident_id: int) -> list[str]:
    """The distinct web links of the incident's alerts' runbooks, first carried first."""
    rows = session.execute(
        select(Alert.runbook_url, func.min(Alert.id).label("first"))
        .where(Alert.incident_id == incident_id, Alert.runbook_url.is_not(None))
        .group_by(Alert.runbook_url)
        .order_by("first")
    ).all()
    links = [str(url).strip() for url, _ in rows]
    return [url for url in links if url.startswith(("http://", "https://"))]


def propose(
    session: Session, postmortem: Postmortem, reference: str, *, now: datetime
) -> list[ActionItem]:
    """Add the postmortem's "update the runbook" items (its incident ``reference`` is locked)."""
    return [
        action_items.add(
            session,
            postmortem,
            action_items.NewItem(
                description=f"Update the runbook {url} with what {reference} taught",
                priority="P2",
                type="process",
                owner=postmortem.owner,
            ),
            author=AUTHOR,
            now=now,
        )
        for url in runbook_links(session, postmortem.incident_id)
    ]
