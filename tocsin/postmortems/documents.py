"""A postmortem as a document to read: one rendering model, three formats, two versions.

:func:`build` reads a postmortem, its action items and reviewers into a
:class:`Rendering`: its sections in the document's order with the template's
headings, and the facts around them (date, duration, impact, MTTD/MTTA/MTTR).
:func:`markdown` and :func:`html` render it with the Jinja2 templates of
``templates/``; :func:`pdf` prints the HTML with WeasyPrint. The status page
shows :func:`fragment`, the HTML's body, inside its own page.

The **internal** version holds everything. The **public** version (only of a
published or closed postmortem) holds the sections
:func:`tocsin.postmortems.configured.public_sections` names (by default:
summary, impact, timeline, root cause, action items), and of those only what
customers are owed: the timeline is the status page's updates as they are when
rendered (never the incident's own entries), the Five Whys carry no citation of internal entries,
action items show their description and due state without owner, impact shows
no revenue; authors, reviewers and MTTx are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from tocsin.domain.postmortem_document import INTERNAL_IMPACT_FIELDS
from tocsin.domain.postmortem_draft import clock_time
from tocsin.domain.postmortem_workflow import ItemStatus
from tocsin.domain.refusals import Conflict
from tocsin.incidents.tables import Incident
from tocsin.postmortems import action_items, configured, facts, workflow
from tocsin.postmortems.tables import CLOSED, PUBLISHED, ActionItem, Postmortem

TEMPLATES = Path(__file__).parent / "templates"
_MARKDOWN = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_HTML = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

#: The versions a postmortem is rendered in.
INTERNAL, PUBLIC = "internal", "public"
IMPACT_LABELS = {
    "users_affected": "Users affected",
    "revenue_impact": "Revenue impact",
    "error_budget_consumed": "Error budget consumed",
    "description": "Description",
}
ITEM_STATES = {
    ItemStatus.OPEN: "Open",
    ItemStatus.IN_PROGRESS: "In progress",
    ItemStatus.DONE: "Done",
    ItemStatus.WONT_DO: "Won't do",
}


@dataclass(frozen=True)
class Moment:
    time: str
    event: str


@dataclass(frozen=True)
class Why:
    question: str
    answer: str
    #: Timeline entries cited (sequence numbers); none in the public version.
    cites: tuple[int, ...] = ()


@dataclass(frozen=True)
class Item:
    """An action item as a row of the table; owner, priority and type are internal."""

    reference: str
    description: str
    state: str
    due: str
    owner: str | None = None
    priority: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Part:
    """One section: its heading and, by kind, its text, points, impact, moments, whys, items."""

    key: str
    title: str
    kind: str
    text: str = ""
    points: tuple[str, ...] = ()
    impact: tuple[tuple[str, str], ...] = ()
    moments: tuple[Moment, ...] = ()
    whys: tuple[Why, ...] = ()
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Rendering:
    """Everything a format shows, in order; ``public`` says which version it is."""

    reference: str
    incident: str
    title: str
    public: bool
    status: str
    date: str
    duration: str
    parts: tuple[Part, ...]
    severity: str = ""
    services: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    #: (reviewer, verdict) in name order.
    reviewers: tuple[tuple[str, str], ...] = ()
    #: (MTTD|MTTA|MTTR, in words)
    metrics: tuple[tuple[str, str], ...] = ()
    published_at: datetime | None = None

    def filename(self, extension: str) -> str:
        suffix = "-public" if self.public else ""
        return f"{self.reference}{suffix}.{extension}"


def may_be_public(postmortem: Postmortem) -> None:
    """Refuse (409) a postmortem that is not published or closed: nothing of it is public yet."""
    if postmortem.status not in (PUBLISHED, CLOSED):
        raise Conflict(
            f"{postmortem.reference} is {postmortem.status.replace('_', ' ')}: only a published "
            "or closed postmortem has a public version (publish it after its review first)"
        )


def _due(item: ActionItem, today: date) -> str:
    status = ItemStatus(item.status)
    state = ITEM_STATES[status]
    if status in (ItemStatus.DONE, ItemStatus.WONT_DO) or item.due_date is None:
        return state if item.due_date is None else f"{state} (was due {item.due_date})"
    overdue = " - overdue" if item.due_date < today else ""
    return f"{state}, due {item.due_date}{overdue}"


def _items(rows: Sequence[ActionItem], public: bool, today: date) -> tuple[Item, ...]:
    shown = []
    for row in rows:
        state = ITEM_STATES[ItemStatus(row.status)]
        due = row.due_date.isoformat() if row.due_date is not None else ""
        if public:
            shown.append(Item(row.reference, row.description, _due(row, today), due))
        else:
            owner = row.owner or "nobody"
            shown.append(
                Item(row.reference, row.description, state, due, owner, row.priority, row.type)
            )
    return tuple(shown)


def _public_moments(session: Session, postmortem: Postmortem, day: str) -> tuple[Moment, ...]:
    """What happened as the status page told it: its updates now, oldest first."""
    return tuple(
        Moment(
            clock_time(update.at, day),
            f"{update.status.replace('_', ' ').capitalize()}: {update.body}",
        )
        for update in facts.public_updates(session, postmortem.incident_id)
    )


def _impact(content: dict[str, Any], public: bool) -> tuple[tuple[str, str], ...]:
    impact = content.get("impact", {})
    shown = []
    for key, label in IMPACT_LABELS.items():
        value = impact.get(key)
        if value in (None, "") or (public and key in INTERNAL_IMPACT_FIELDS):
            continue
        shown.append((label, str(value)))
    return tuple(shown)


def _part(
    section: dict[str, str],
    content: dict[str, Any],
    items: tuple[Item, ...],
    public_moments: tuple[Moment, ...] | None,
) -> Part:
    """One section; ``public_moments`` (the public timeline) only in the public version."""
    public = public_moments is not None
    key, title, kind = section["key"], section["title"], section["kind"]
    if kind == "impact":
        return Part(key, title, kind, impact=_impact(content, public))
    if kind == "timeline":
        moments = (
            public_moments
            if public_moments is not None
            else tuple(Moment(i["time"], i["event"]) for i in content.get("timeline", []))
        )
        return Part(key, title, kind, moments=moments)
    if kind == "root_cause":
        whys = tuple(
            Why(w["why"], w.get("answer", ""), () if public else tuple(w.get("cites", [])))
            for w in content.get("five_whys", [])
            if w.get("answer") or not public
        )
        return Part(key, title, kind, text=str(content.get("root_cause", "")), whys=whys)
    if kind == "action_items":
        return Part(key, title, kind, items=items)
    extra = content.get("extra", {})
    value = extra[key] if key in extra else content.get(key, "")
    if isinstance(value, list):
        return Part(key, title, kind, points=tuple(str(point) for point in value))
    return Part(key, title, kind, text=str(value))


def build(session: Session, postmortem: Postmortem, *, public: bool, now: datetime) -> Rendering:
    """The rendering model of ``postmortem``; the public version of a draft is refused (409)."""
    if public:
        may_be_public(postmortem)
    content = postmortem.content
    items = _items(action_items.listing(session, postmortem), public, now.date())
    sections = list(content.get("sections", []))
    if public:
        shown = configured.public_sections(session, postmortem.template)
        sections = [section for section in sections if section["key"] in shown]
    told = _public_moments(session, postmortem, str(content.get("date", ""))) if public else None
    parts = tuple(_part(section, content, items, told) for section in sections)
    if items and not public and all(part.kind != "action_items" for part in parts):
        parts += (Part("action_items", "Action items", "action_items", items=items),)
    incident = session.get(Incident, postmortem.incident_id)
    base = Rendering(
        reference=postmortem.reference,
        incident=incident.reference if incident is not None else "",
        title=str(content.get("title", "")),
        public=public,
        status=postmortem.status,
        date=str(content.get("date", "")),
        duration=str(content.get("duration", "")),
        parts=parts,
        published_at=postmortem.published_at,
    )
    if public:
        return base
    metrics = content.get("facts", {}).get("metrics", {})
    return replace(
        base,
        severity=str(content.get("severity", "")),
        services=tuple(content.get("services", [])),
        components=tuple(content.get("components", [])),
        authors=tuple(content.get("authors", [])),
        reviewers=tuple(
            (row.user_name, row.verdict.replace("_", " "))
            for row in workflow.reviewers(session, postmortem)
        ),
        metrics=tuple(
            (name.upper(), str(metrics[name]["text"]))
            for name in ("mttd", "mtta", "mttr")
            if name in metrics
        ),
    )


def _cell(value: object) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _moment(value: datetime) -> str:
    """A time as the documents write it: "2026-03-02 14:05 UTC"."""
    return clock_time(value, "")


_MARKDOWN.filters["cell"] = _cell
_MARKDOWN.filters["moment"] = _HTML.filters["moment"] = _moment


def markdown(rendering: Rendering) -> str:
    return _MARKDOWN.get_template("postmortem.md").render(doc=rendering)


def fragment(rendering: Rendering, heading: int = 2) -> str:
    """The document's sections as HTML, headed from ``<h{heading}>``, to show inside a page."""
    return _HTML.get_template("_sections.html").render(doc=rendering, h=heading)


def html(rendering: Rendering) -> str:
    """A standalone page: its own style, no script, printable."""
    return _HTML.get_template("postmortem.html").render(
        doc=rendering,
        sections=Markup(fragment(rendering)),
        style=Markup((TEMPLATES / "postmortem.css").read_text()),
    )


def pdf(rendering: Rendering) -> bytes:
    """The HTML page printed to PDF (WeasyPrint, imported on first use: it loads Pango)."""
    from weasyprint import HTML

    document: bytes = HTML(string=html(rendering)).write_pdf()
    return document
