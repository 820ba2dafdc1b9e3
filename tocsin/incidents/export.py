"""An incident and its timeline as Markdown or JSON, e.g. to start a postmortem from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tocsin.domain import timeline
from tocsin.domain.roles import Role
from tocsin.domain.timeline import IncidentSummary, Order
from tocsin.incidents import records
from tocsin.incidents.editing import role_title
from tocsin.incidents.tables import Incident


def summary(session: Session, incident: Incident) -> IncidentSummary:
    roster = records.roster(session, incident.id)
    holders = {
        role_title(role): ", ".join(roster.holders(role)) for role in Role if roster.holders(role)
    }
    title = f"[DRILL] {incident.title}" if incident.drill else incident.title
    return IncidentSummary(
        reference=incident.reference,
        title=title,
        severity=incident.severity,
        status=incident.status,
        detected_at=incident.detected_at,
        resolved_at=incident.resolved_at,
        roles=holders,
        summary=incident.summary or None,
    )


def details(session: Session, incident: Incident) -> dict[str, Any]:
    """What the timeline header leaves out: services, impact, links, tags, milestones."""
    times = {
        name: getattr(incident, name).isoformat() if getattr(incident, name) else None
        for name in (
            "impact_started_at",
            "detected_at",
            "declared_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "closed_at",
        )
    }
    return {
        "drill": incident.drill,
        "source": incident.source,
        "services": records.services(session, incident.id),
        "tags": records.tags(session, incident.id),
        "impact": {
            "users_affected": incident.users_affected,
            "revenue_impact": incident.revenue_impact,
            "error_budget_consumed": incident.error_budget_consumed,
        },
        "links": incident.links,
        "custom_fields": incident.custom_fields,
        "times": times,
    }


def to_markdown(session: Session, incident: Incident, order: Order) -> str:
    entries = records.timeline(session, incident.id)
    text = timeline.to_markdown(summary(session, incident), entries, order)
    extra = details(session, incident)
    lines = ["", "## Details", ""]
    if extra["services"]:
        lines.append(f"- Services: {', '.join(extra['services'])}")
    impact = {k: v for k, v in extra["impact"].items() if v is not None}
    lines.extend(f"- {name.replace('_', ' ').capitalize()}: {v}" for name, v in impact.items())
    lines.extend(f"- {link.get('kind', 'link')}: {link['url']}" for link in extra["links"])
    if extra["tags"]:
        lines.append(f"- Tags: {', '.join(extra['tags'])}")
    lines.extend(f"- {key}: {value}" for key, value in extra["custom_fields"].items())
    lines.extend(
        f"- {name.replace('_at', '').replace('_', ' ').capitalize()}: {value}"
        for name, value in extra["times"].items()
        if value is not None
    )
    return text + "\n".join(lines) + "\n"


def to_data(session: Session, incident: Incident, order: Order) -> dict[str, Any]:
    entries = records.timeline(session, incident.id)
    data = timeline.to_data(summary(session, incident), entries, order)
    incident_data = data["incident"]
    assert isinstance(incident_data, dict)
    incident_data.update(details(session, incident))
    return data
