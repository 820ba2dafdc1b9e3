"""Delivering each handoff report to its outgoing and incoming person.

Telling people is paging's (their contact methods, notification rules and
notices are here), so on-call only says a report was stored: the
transaction storing it (:func:`tocsin.oncall.handoff_reports.store_report`)
queues an ``oncall.handoff.stored`` job, whose handler here queues one
``oncall.handoff.notify`` job per person, keyed by report and person, so each
of them is told once per handoff, and a report is never lost between being
stored and being sent.

A report is not urgent: it goes where the person's **low-urgency**
notification rules send things, when they would (quiet hours hold it until
they end; without rules, the first contact method at once). If that fails,
their other contact methods are tried in order; a person with no contact
method gets it at their account's email. In outbox mode
(``TOCSIN_DELIVERY=outbox``) it is recorded in the outbox instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tocsin.domain.escalation import Urgency
from tocsin.domain.notification_rules import ContactMethod, plan_notifications
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure
from tocsin.notify.message import Message
from tocsin.notify.tables import HANDOFF
from tocsin.oncall.handoff_reports import STORED, HandoffStored
from tocsin.oncall.tables import HandoffReport
from tocsin.paging.directory import Directory, Person, contact_methods
from tocsin.paging.notices import send_or_give_up

OUTGOING, INCOMING = "outgoing", "incoming"


@dataclass(frozen=True)
class HandoffNotice:
    """Tell ``user``, the ``side`` (outgoing or incoming) person, about a handoff report."""

    report_id: int
    user: str
    side: str


NOTIFY = JobKind("oncall.handoff.notify", HandoffNotice)


def _route(
    directory: Directory, person: Person, at: datetime
) -> tuple[list[ContactMethod], datetime]:
    """The contact methods to try, in order, and when the first is due."""
    methods = contact_methods(person)
    planned = plan_notifications(directory.rules(person), methods, Urgency.LOW, at)
    chosen = [each.method for each in planned]
    chosen += [method for method in methods if method not in chosen]
    if not chosen and person.email:
        chosen = [ContactMethod(0, "email", person.email)]
    return chosen, planned[0].at if planned else at


def queue(session: Session, report: HandoffReport, now: datetime) -> None:
    """Queue the report's delivery to its outgoing and incoming person (once each)."""
    directory = Directory(session)
    for name, side in ((report.outgoing, OUTGOING), (report.incoming, INCOMING)):
        if name is None:
            continue
        person = directory.user(name)
        due = _route(directory, person, now)[1] if person is not None else now
        jobs.enqueue(
            session,
            NOTIFY,
            HandoffNotice(report_id=report.id, user=name, side=side),
            now=now,
            run_at=due,
            idempotency_key=f"{NOTIFY.name}:{report.id}:{name}",
        )


def queue_stored(ctx: JobContext, stored: HandoffStored) -> None:
    """The ``oncall.handoff.stored`` job: queue the stored report's delivery to both people."""
    with ctx.transaction() as session:
        report = session.get(HandoffReport, stored.report_id)
        if report is not None:  # else its schedule was deleted, and its reports with it
            queue(session, report, ctx.clock.now())


def _when(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def _lines(items: Sequence[dict[str, Any]], line: str, empty: str = "none") -> list[str]:
    return [line.format(**each) for each in items] or [f"- {empty}"]


def handoff_text(report: HandoffReport, side: str, time_zone: str) -> tuple[str, str]:
    """The subject and body telling one side of a handoff what it needs to know."""
    zone = ZoneInfo(time_zone)
    content = report.report
    where = f"the {report.layer} layer of {content['schedule']}"
    at = _when(report.at, zone)
    if side == INCOMING:
        before = f" from {report.outgoing}" if report.outgoing else ""
        headline = f"You take over {where}{before} at {at}."
        subject = f"[Tocsin] Handoff: you are on call for {content['schedule']} ({report.layer})"
    else:
        headline = f"You hand {where} over to {report.incoming} at {at}."
        subject = (
            f"[Tocsin] Handoff: {report.incoming} takes over {content['schedule']} ({report.layer})"
        )
    incident = "- {reference} {title} ({severity}, {status})"
    body = [
        headline,
        "",
        f"Incidents during the shift (since {_when(report.period_start, zone)}):",
        *_lines(content["incidents_during_shift"], incident),
        "",
        "Incidents still open:",
        *_lines(content["open_incidents"], incident),
        "",
        "Alerts not resolved:",
        *_lines(content["unresolved_alerts"], "- {service}: {summary} ({severity}, {status})"),
        "",
        "Notes for this handoff:",
        *_lines(content["notes"], "- {author}: {text}"),
    ]
    return subject, "\n".join(body)


def send_report(ctx: JobContext, notice: HandoffNotice) -> None:
    """The ``oncall.handoff.notify`` job: tell one person about one handoff."""
    report_id, name, side = notice.report_id, notice.user, notice.side
    with ctx.database.sessions() as session:
        report = session.get(HandoffReport, report_id)
        if report is None:
            return  # its schedule was deleted, and its reports with it
        directory = Directory(session)
        person = directory.user(name)
        if person is None:
            raise PermanentFailure(f"{name} (the {side} person of a handoff) no longer exists")
        methods = _route(directory, person, ctx.clock.now())[0]
        subject, body = handoff_text(report, side, person.time_zone)
        data = {
            "event": "handoff",
            "schedule": report.report["schedule"],
            "layer": report.layer,
            "at": report.report["at"],
            "side": side,
            "report": report.report,
        }
    if not methods:
        raise PermanentFailure(f"{name} has no contact method or email for the handoff report")
    message = Message(
        subject=subject,
        body=body,
        idempotency_key=f"tocsin-handoff-{report_id}-{name}",
        data=data,
    )
    send_or_give_up(ctx, kind=HANDOFF, user_name=name, methods=methods, message=message)


def register(registry: HandlerRegistry) -> None:
    """Queue both people's notices when a handoff report is stored, and send each one."""
    registry.register(STORED, queue_stored)
    registry.register(NOTIFY, send_report)
