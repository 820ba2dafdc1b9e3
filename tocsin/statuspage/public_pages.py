"""The public page as HTML: the page, its monthly history, and one page per incident.

Rendered from a :class:`~tocsin.statuspage.reading.Snapshot` with links made
by a :class:`Links`: the live server's addresses, or relative file names for
the static export (:mod:`tocsin.statuspage.export`), so both are the same
page. It works without JavaScript; ``status.js`` only rewrites times into the
reader's own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tocsin.statuspage.reading import Snapshot, Story
from tocsin.statuspage.uptime import Day

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC = Path(__file__).parent / "static"

WORDS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
    "in_progress": "In progress",
}


def word(status: str | None) -> str:
    if status is None:
        return "No data"
    return WORDS.get(status, status.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Links:
    """Where a page's parts are: live (``/status/...``) or in an exported directory."""

    home: str
    prefix: str
    #: The suffix of page files: "" live, ".html" in an export.
    suffix: str = ""
    assets: str = "/status-assets"

    def incident(self, code: str) -> str:
        return f"{self.prefix}incidents/{code}{self.suffix}"

    def postmortem(self, code: str) -> str:
        return f"{self.prefix}incidents/{code}/postmortem{self.suffix}"

    def history(self, month: date | None = None) -> str:
        if self.suffix:
            name = f"history/{month:%Y-%m}" if month else "history/index"
            return f"{self.prefix}{name}{self.suffix}"
        return f"{self.prefix}history" + (f"?month={month:%Y-%m}" if month else "")

    def asset(self, name: str) -> str:
        return f"{self.assets}/{name}"

    def feed(self, kind: str) -> str:
        return f"{self.prefix}history.{kind}" if self.suffix else f"{self.home}/history.{kind}"


def live_links(path: str) -> Links:
    """The live server's links for the page at ``path`` (``/status`` or ``/status/x``)."""
    return Links(home=path if path != "/status" else "", prefix=f"{path}/")


class Clockface:
    """Times as the page shows them: in its zone, in a ``<time>`` the script may localise."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def __call__(self, moment: datetime | None, style: str = "long") -> str:
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        if style == "day":
            return f"{local:%b} {local.day}, {local.year}"
        return f"{local:%b} {local.day}, {local:%H:%M %Z}"


def day_summary(day: Day) -> str:
    """The words of a day's tooltip: "Mar 3: 99.2% uptime; 45 min major outage"."""
    if day.uptime is None:
        return f"{day.day:%b} {day.day.day}: no data"
    parts = [f"{day.day:%b} {day.day.day}: {day.uptime:g}% uptime"]
    parts += [f"{minutes} min {word(status).lower()}" for status, minutes in day.minutes]
    if not day.minutes:
        parts.append("no downtime")
    return "; ".join(parts)


def render(name: str, snapshot: Snapshot, links: Links, **context: object) -> bytes:
    template = _TEMPLATES.get_template(name)
    return template.render(
        snapshot=snapshot,
        page=snapshot.audience,
        links=links,
        when=Clockface(snapshot.zone),
        word=word,
        day_summary=day_summary,
        **context,
    ).encode()


def page(snapshot: Snapshot, links: Links) -> bytes:
    return render("page.html", snapshot, links)


def incident(snapshot: Snapshot, links: Links, story: Story) -> bytes:
    return render("incident.html", snapshot, links, story=story)


def postmortem(snapshot: Snapshot, links: Links, story: Story) -> bytes:
    """The public version of ``story``'s postmortem (check that it has one first)."""
    return render("postmortem.html", snapshot, links, story=story)


def history(
    snapshot: Snapshot, links: Links, month: date, stories: list[Story], months: list[date]
) -> bytes:
    return render("history.html", snapshot, links, month=month, stories=stories, months=months)
