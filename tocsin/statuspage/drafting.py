"""Drafting messages from templates: public updates, customer mails, internal reports, summaries.

Every message Tocsin drafts about an incident comes from a Jinja2 template
named in :class:`~tocsin.statuspage.config_schema.TemplateName`: the built-in
default (plain, factual words, below) unless ``status_page.templates``
configures one. Templates run in Jinja2's sandbox with ``StrictUndefined``:
naming something the context lacks fails, with the line, instead of leaving
a blank; touching Python internals (``__class__``...) or changing the
context's lists and dicts is refused; ``range``
and ``lipsum`` are gone and ``*``/``**`` are bounded, so a template cannot
make a huge answer. Rendering never sends anything: sending is the caller's
business (a preview is just a render).

Two contexts, made only of strings, numbers, lists and dicts (no objects to
climb out of):

- public (the four status templates, ``no_update``, ``customer_notification``):
  ``incident`` (its public name, status, impact, severity, components,
  public updates, duration...), ``page``, ``now``, ``next_update``,
  ``next_update_time``, ``next_update_at``, ``zone``, ``time_zone``; and for
  customer mails ``event`` and ``summary``. Nothing of the timeline, roles or
  the internal title: a public template naming ``internal`` fails
  ("'internal' is undefined").
- internal (``internal_report``, ``post_resolution_summary``, which a person
  edits and approves before it leaves): the same, plus ``internal`` (the
  reference, internal title and summary, lifecycle status, when it started and
  was resolved and for how long, services, role holders, the timeline, how
  overdue the public update is and when the next internal report is due).

Times are in the page's zone (``status_page.time_zone``). A time shown with
its zone ("11:31 CET": ``next_update_time``, a timeline entry's ``time``,
``internal.next_report``, the ``*_at`` keys) carries the abbreviation in
force at that time, so it stays right across a change of summer time;
``zone`` is the abbreviation now.

docs/communications.md lists every key with examples.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import Invalid
from tocsin.domain.timeline import TimelineEntry
from tocsin.incidents import configured, records
from tocsin.incidents.tables import Incident
from tocsin.statuspage import cadence, messages
from tocsin.statuspage import components as component_states
from tocsin.statuspage.config_schema import TemplateName
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

#: Templates whose message may be read outside the company: they get the public context.
PUBLIC_TEMPLATES = frozenset(
    {
        TemplateName.INVESTIGATING,
        TemplateName.IDENTIFIED,
        TemplateName.MONITORING,
        TemplateName.RESOLVED,
        TemplateName.NO_UPDATE,
        TemplateName.CUSTOMER_NOTIFICATION,
    }
)
#: The longest message a template may make (a public update's limit).
OUTPUT_LIMIT = 5000
_SEQUENCE_LIMIT = 1000
_POWER_LIMIT = 64
#: The public name drafts use for an incident not published yet, unless given one.
UNPUBLISHED_NAME = "Service disruption"
#: The author of the timeline entries Tocsin writes itself.
AUTOMATIC_AUTHOR = "tocsin"
#: The marker the default summary leaves where a person must write; approval refuses it.
TO_BE_WRITTEN = "[To be written"

_AFFECTED = "{% if incident.affected %} with {{ incident.affected }}{% endif %}"
_NEXT = "{% if next_update %} We will post an update by {{ next_update_time }}.{% endif %}"

DEFAULTS: Mapping[TemplateName, str] = {
    TemplateName.INVESTIGATING: f"We are investigating a problem{_AFFECTED}.{_NEXT}",
    TemplateName.IDENTIFIED: (
        f"We have found the cause of the problem{_AFFECTED} and are working on a fix.{_NEXT}"
    ),
    TemplateName.MONITORING: (
        f"A fix is in place for the problem{_AFFECTED} and we are watching the results.{_NEXT}"
    ),
    TemplateName.RESOLVED: (
        f"The problem{_AFFECTED} is resolved. It lasted {{{{ incident.duration }}}}. "
        "We are sorry for the trouble this caused."
    ),
    TemplateName.NO_UPDATE: (
        "{% if incident.status == 'identified' %}We are still working on a fix for the problem"
        "{% elif incident.status == 'monitoring' %}We are still watching the fix for the problem"
        "{% else %}We are still investigating the problem{% endif %}"
        f"{_AFFECTED}. We have nothing new to tell yet.{_NEXT}"
    ),
    TemplateName.CUSTOMER_NOTIFICATION: """Hello,

{% if event == "published" -%}
We are writing to tell you about a problem that affects the service you use: {{ incident.name }}.
{%- elif event == "resolved" -%}
The problem "{{ incident.name }}" is resolved. It lasted {{ incident.duration }}.
{%- else -%}
Here is our summary of the problem "{{ incident.name }}".
{%- endif %}

Status: {{ incident.status_text }}
Affected: {{ incident.affected or "no component listed" }}
Started: {{ incident.started_at }}
{% if incident.updates %}
Latest update ({{ incident.updates[-1].at }}): {{ incident.updates[-1].body }}
{% endif %}{% if summary %}
{{ summary }}
{% endif %}
Follow it at {{ incident.url }}
""",
    TemplateName.INTERNAL_REPORT: """{{ internal.reference }} \
({{ incident.severity }}, {{ internal.status }}): {{ internal.title }}

{% if internal.resolved_at %}Resolved at {{ internal.resolved_at }}, after {{ internal.duration }}\
{% else %}Open for {{ internal.duration }}{% endif %}; \
services: {{ internal.services | join(", ") or "none" }}.
{% for holder in internal.roles %}{{ holder.role }}: {{ holder.user }}
{% endfor %}
Public status: {% if internal.published %}{{ incident.status_text }} ("{{ incident.name }}")\
{% if internal.overdue_minutes %}, update overdue by {{ internal.overdue_minutes }} min\
{% endif %}{% else %}not published{% endif %}
{% if internal.summary %}
{{ internal.summary }}
{% endif %}
Latest on the timeline:
{% for entry in internal.timeline[-10:] %}- {{ entry.time }} {{ entry.text }}
{% endfor %}
{% if internal.next_report %}Next report by {{ internal.next_report }}.\
{% elif internal.resolved_at %}This is the last report.{% endif %}""",
    TemplateName.POST_RESOLUTION_SUMMARY: """What happened
{% if incident.affected %}{{ incident.affected }} {{ "were" if incident.components | length > 1 \
else "was" }} affected{% else %}Our service was affected{% endif %} \
from {{ incident.started_at }} for {{ incident.duration }} ({{ incident.severity }}): \
{{ incident.name }}.{% if internal.summary %} {{ internal.summary }}{% endif %}

How it was fixed
{% for entry in internal.timeline if not entry.automatic and (entry.note_kind == "action" \
or entry.kind in ("status_update", "status_change")) %}- {{ entry.at }} {{ entry.text }}
{% else %}[To be written: how the problem was fixed.]
{% endfor %}
What we will do to prevent it
{% for entry in internal.timeline if not entry.automatic and entry.note_kind == "decision" \
%}- {{ entry.text }}
{% else %}[To be written: what we will change so that it does not happen again.]
{% endfor %}""",
}

_STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "postmortem": "Resolved",
}


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox that refuses changing lists and dicts, bounding ``*`` and ``**``."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > _POWER_LIMIT:
                raise TemplateError(f"exponents are limited to {_POWER_LIMIT}")
            return operator.pow(left, right)
        for sequence, count in ((left, right), (right, left)):
            repeated = isinstance(sequence, str | list | tuple) and isinstance(count, int)
            if repeated and len(sequence) * count > _SEQUENCE_LIMIT:
                raise TemplateError(f"repetitions are limited to {_SEQUENCE_LIMIT} items")
        return operator.mul(left, right)


def _environment() -> _Sandbox:
    environment = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    for name in ("range", "lipsum"):
        environment.globals.pop(name, None)
    return environment


_ENVIRONMENT = _environment()


def _template_line(traceback: TracebackType | None) -> int | None:
    """The template line a rendering error happened on (Jinja2 puts it in the traceback)."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def render(text: str, context: Mapping[str, Any], *, field: str = "template") -> str:
    """Render ``text`` against ``context``; an :class:`Invalid` naming the line if it fails."""
    try:
        template = _ENVIRONMENT.from_string(text)
    except TemplateSyntaxError as error:
        raise Invalid(field, f"line {error.lineno}: {error.message}") from None
    parts: list[str] = []
    size = 0
    try:
        for part in template.generate(**context):
            parts.append(part)
            size += len(part)
            if size > OUTPUT_LIMIT:
                raise Invalid(field, f"makes more than {OUTPUT_LIMIT} characters")
    except Invalid:
        raise
    except Exception as error:  # anything a template does wrong is the template's fault
        line = _template_line(error.__traceback__)
        where = f"line {line}: " if line is not None else ""
        kind = "not allowed: " if "unsafe" in str(error) else ""
        raise Invalid(field, f"{where}{kind}{error}") from None
    rendered = "".join(parts).strip()
    if not rendered:
        raise Invalid(field, "makes an empty message")
    return rendered


def template_text(session: Session, name: TemplateName) -> str:
    """The configured template ``name``, else the built-in one."""
    return component_states.settings(session).templates.get(name) or DEFAULTS[name]


def duration_text(span: timedelta) -> str:
    """A duration in words: "1 hour 5 minutes", "3 days 2 hours", "less than a minute"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] + ([] if days else [(minutes, "minute")])
    words = [f"{count} {unit}{'s' if count != 1 else ''}" for count, unit in parts if count]
    return " ".join(words)


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class Subject:
    """What a draft is about: the incident, and its public face if it was published."""

    incident: Incident
    public: PublicIncident | None
    #: The public name to use before the incident is published.
    name: str = UNPUBLISHED_NAME


Format = Callable[[datetime], str]


def _times(zone: ZoneInfo) -> tuple[Format, Format, Format]:
    """Formatters of times in ``zone``: "10:20", "10:20 CET" and "2026-01-05 10:20 CET".

    The abbreviation is the one in force at the time shown, not now: across a
    change to or from summer time the two differ.
    """

    def short(value: datetime) -> str:
        return value.astimezone(zone).strftime("%H:%M")

    def clock(value: datetime) -> str:
        return messages.clock_time(value, zone)

    def full(value: datetime) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    return short, clock, full


def public_context(session: Session, subject: Subject, now: datetime) -> dict[str, Any]:
    """What public templates see (module docstring; docs/communications.md)."""
    settings = component_states.settings(session)
    zone = ZoneInfo(settings.time_zone)
    short, clock, full = _times(zone)
    incident, public = subject.incident, subject.public
    level = configured.scale(session).get(incident.severity)
    updates = _updates(session, public)
    statuses = {}
    for update in updates:
        for change in update.affected_components:
            statuses[str(change["name"])] = str(change["new_status"])
    names = [str(name) for name in public.components] if public else []
    status = public.status if public else "investigating"
    started = public.started_at if public else incident.impact_started_at or incident.detected_at
    ended = (public.resolved_at if public else None) or incident.resolved_at
    due = cadence.next_update_after(session, public or incident, now)
    base = (settings.url or "").rstrip("/")
    return {
        "incident": {
            "name": public.name if public else subject.name,
            "status": status,
            "status_text": _STATUS_WORDS.get(status, status),
            "impact": public.impact if public else "",
            "severity": incident.severity,
            "severity_name": level.name if level else incident.severity,
            "started_at": full(started),
            "resolved_at": full(ended) if ended else None,
            "duration": duration_text((ended or now) - started),
            "components": [
                {
                    "name": name,
                    "status": statuses.get(name, "operational"),
                    "status_text": statuses.get(name, "operational").replace("_", " "),
                }
                for name in names
            ],
            "affected": _and(names),
            "updates": [
                {"status": u.status, "body": u.body, "at": full(u.display_at)}
                for u in reversed(updates)
            ],
            "url": f"{base}/status/incidents/{public.code}" if public else f"{base}/status",
        },
        "page": {"title": settings.title, "url": base or "/status"},
        "now": short(now),
        "next_update": short(due) if due else None,
        "next_update_time": clock(due) if due else None,
        "next_update_at": full(due) if due else None,
        "zone": now.astimezone(zone).strftime("%Z"),
        "time_zone": settings.time_zone,
    }


def internal_context(session: Session, subject: Subject, now: datetime) -> dict[str, Any]:
    """The public context plus ``internal``: for messages that stay in the company."""
    context = public_context(session, subject, now)
    short, clock, full = _times(messages.page_zone(session))
    incident, public = subject.incident, subject.public
    late = cadence.overdue(session, public, now) if public else None
    started = incident.impact_started_at or incident.detected_at
    ended = incident.resolved_at if incident.status not in OPEN_STATUSES else None
    every = cadence.report_interval(session, incident)
    context["internal"] = {
        "reference": incident.reference,
        "title": incident.title,
        "summary": incident.summary,
        "status": incident.status,
        "drill": incident.drill,
        "started_at": full(started),
        "resolved_at": full(ended) if ended else None,
        "duration": duration_text((ended or now) - started),
        "next_report": clock(now + every) if every else None,
        "published": public is not None,
        "services": records.services(session, incident.id),
        "roles": [
            {"role": row.role.replace("_", " "), "user": row.user_name}
            for row in records.role_rows(session, incident.id)
        ],
        "timeline": [
            {
                "at": short(entry.occurred_at),
                "time": clock(entry.occurred_at),
                "at_full": full(entry.occurred_at),
                "kind": entry.kind.value,
                "note_kind": entry.note_kind.value if entry.note_kind else None,
                "text": entry.text,
                "author": entry.author,
                "automatic": _automatic(entry),
            }
            for entry in records.timeline(session, incident.id)
        ],
        "overdue_minutes": int(late.total_seconds() // 60) if late else None,
        "users_affected": incident.users_affected,
    }
    return context


def _automatic(entry: TimelineEntry) -> bool:
    """Whether Tocsin wrote the entry itself (notices, reminders, reports), not a person."""
    return entry.author in (None, AUTOMATIC_AUTHOR) or any(
        key in entry.details for key in ("statuspage", "paging", "formal")
    )


def _updates(session: Session, public: PublicIncident | None) -> list[PublicUpdate]:
    """The public updates, newest first."""
    if public is None:
        return []
    return list(
        session.scalars(
            select(PublicUpdate)
            .where(PublicUpdate.public_incident_id == public.id)
            .order_by(PublicUpdate.display_at.desc(), PublicUpdate.id.desc())
        )
    )


def context_for(
    session: Session,
    name: TemplateName,
    subject: Subject,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The context template ``name`` gets: public or internal, as :data:`PUBLIC_TEMPLATES` says."""
    if name in PUBLIC_TEMPLATES:
        context = public_context(session, subject, now)
    else:
        context = internal_context(session, subject, now)
    if name is TemplateName.CUSTOMER_NOTIFICATION:
        context.update({"event": "published", "summary": ""})
    context.update(extra or {})
    return context


def draft(
    session: Session,
    name: TemplateName,
    subject: Subject,
    now: datetime,
    *,
    text: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Render template ``name`` (or ``text`` in its place, for a preview) about ``subject``."""
    source = text if text is not None else template_text(session, name)
    return render(source, context_for(session, name, subject, now, extra))


def subject_of(session: Session, incident: Incident, name: str | None = None) -> Subject:
    public = session.scalar(select(PublicIncident).where(PublicIncident.incident_id == incident.id))
    return Subject(incident, public, name or UNPUBLISHED_NAME)


def draft_or_default(
    session: Session,
    name: TemplateName,
    subject: Subject,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> tuple[str, str | None]:
    """Render ``name``; if the configured template fails, the built-in one and why.

    For messages that must go out whatever the configuration (reports, customer
    mails): the second value says what failed, for the timeline.
    """
    try:
        return draft(session, name, subject, now, extra=extra), None
    except Invalid as error:
        if name not in component_states.settings(session).templates:
            raise
        text = draft(session, name, subject, now, text=DEFAULTS[name], extra=extra)
        return (
            text,
            f"the configured {name.value} template failed ({error}); the built-in one was used",
        )
