"""The review meeting: who is proposed, scheduling it, and its iCalendar invitation by email.

**Who is proposed** (the seed: "all incident responders plus representatives
from affected teams and stakeholders"), each with why:

- the incident's responders: every role holder, and whoever acknowledged one
  of its pages;
- the affected services' teams: each team's role holders (its team lead...),
  or its members when it names none;
- the stakeholders of the incident's severity (its level's escalation
  audience, as :func:`tocsin.paging.notices.audience` finds them);
- the postmortem's owner and reviewers.

**Scheduling** stores the meeting (attendees as proposed unless named) as a
version of the postmortem, on the incident's timeline, and queues one
``postmortems.invitation`` job per attendee with an email address. The job
mails an RFC 5545 invitation (``METHOD:REQUEST``) as a ``text/calendar``
part, through the SMTP server (in outbox mode it is recorded instead).
Scheduling again keeps the meeting's UID and raises its ``SEQUENCE``, so
calendars update the event rather than add one; invitations queued for an
earlier version do nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.domain.notification_rules import ContactMethod
from tocsin.domain.postmortem_document import diff
from tocsin.domain.refusals import Invalid, NotFound
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure
from tocsin.incidents import configured as incident_levels
from tocsin.incidents import records
from tocsin.incidents.tables import Incident
from tocsin.notify import outbox
from tocsin.notify import tables as outbox_store
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.notify.smtp import send_composed
from tocsin.paging.directory import Directory
from tocsin.paging.notices import audience
from tocsin.paging.tables import EscalationRun, Page
from tocsin.postmortems import versions
from tocsin.postmortems.tables import Postmortem, PostmortemReviewer, ReviewMeeting

PRODID = "-//Tocsin//Postmortem reviews//EN"


class NoMeeting(NotFound):
    """The postmortem has no review meeting yet."""


@dataclass
class Attendee:
    name: str
    email: str | None
    why: list[str]

    def as_data(self) -> dict[str, object]:
        return {"name": self.name, "email": self.email, "why": list(self.why)}


def _words(role: str) -> str:
    return role.replace("_", " ")


def _responders(session: Session, incident: Incident) -> list[tuple[str, str]]:
    found = [(row.user_name, _words(row.role)) for row in records.role_rows(session, incident.id)]
    acknowledged = session.scalars(
        select(Page.user_name)
        .join(EscalationRun, EscalationRun.id == Page.run_id)
        .where(EscalationRun.incident_id == incident.id, Page.acknowledged_at.is_not(None))
        .order_by(Page.acknowledged_at)
    )
    found.extend((name, "acknowledged a page") for name in acknowledged)
    return found


def _teams(session: Session, services: Sequence[str]) -> list[tuple[str, str]]:
    directory = Directory(session)
    found: list[tuple[str, str]] = []
    for name in services:
        service = directory.service(name)
        team = directory.team(service.team) if service is not None and service.team else None
        if service is None or team is None:
            continue
        if team.roles:
            found.extend(
                (person, f"{_words(role)} of {service.team}") for role, person in team.roles.items()
            )
        else:
            found.extend((person, f"member of {service.team}") for person in team.members)
    return found


def _stakeholders(
    session: Session, incident: Incident, services: Sequence[str]
) -> list[tuple[str, str]]:
    level = incident_levels.scale(session).get(incident.severity)
    if level is None:
        return []
    people = audience(session, level.escalation.roles, services)
    return [
        (person, f"stakeholder ({_words(role)})")
        for role, names in people.items()
        for person in names
    ]


def proposed(session: Session, postmortem: Postmortem) -> list[Attendee]:
    """Who the review meeting invites, each with why (see the module docstring)."""
    incident = records.find(session, str(postmortem.incident_id))
    services = records.services(session, incident.id)
    reasons = [
        *_responders(session, incident),
        *_teams(session, services),
        *_stakeholders(session, incident, services),
    ]
    if postmortem.owner:
        reasons.append((postmortem.owner, "owner of the postmortem"))
    reviewers = session.scalars(
        select(PostmortemReviewer.user_name).where(
            PostmortemReviewer.postmortem_id == postmortem.id
        )
    )
    reasons.extend((name, "reviewer") for name in reviewers)
    return _attendees(session, reasons)


def _attendees(session: Session, reasons: Sequence[tuple[str, str]]) -> list[Attendee]:
    chosen: dict[str, Attendee] = {}
    for name, why in reasons:
        person = chosen.setdefault(name, Attendee(name, None, []))
        if why not in person.why:
            person.why.append(why)
    found = session.execute(select(User.name, User.email).where(User.name.in_(list(chosen))))
    emails = {name: email for name, email in found}
    for person in chosen.values():
        person.email = emails.get(person.name)
    return list(chosen.values())


def meeting_of(session: Session, postmortem: Postmortem) -> ReviewMeeting | None:
    return session.get(ReviewMeeting, postmortem.id)


def schedule(
    session: Session,
    postmortem: Postmortem,
    *,
    starts_at: datetime,
    minutes: int,
    location: str,
    names: Sequence[str] | None,
    author: str,
    now: datetime,
) -> ReviewMeeting:
    """Schedule (or move) the review meeting and queue its invitations."""
    if starts_at <= now:
        raise Invalid("starts_at", "must be in the future")
    if names is None:
        attendees = proposed(session, postmortem)
    else:
        known = set(session.scalars(select(User.name).where(User.name.in_(list(names)))))
        for index, name in enumerate(names):
            if name not in known:
                raise Invalid(f"attendees.{index}", f"no user {name!r}")
        attendees = _attendees(session, [(name, "invited") for name in names])
    if not attendees:
        raise Invalid("attendees", "nobody to invite; name the attendees")
    meeting = meeting_of(session, postmortem)
    before = _shown(meeting)
    if meeting is None:
        meeting = ReviewMeeting(
            postmortem_id=postmortem.id,
            uid=f"{uuid.uuid4()}@tocsin",
            sequence=0,
            created_at=now,
        )
        session.add(meeting)
    else:
        meeting.sequence += 1
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + timedelta(minutes=minutes)
    meeting.location, meeting.organizer, meeting.updated_at = location, author, now
    meeting.attendees = [person.as_data() for person in attendees]
    session.flush()
    invited = [person for person in attendees if person.email]
    for person in invited:
        jobs.enqueue(
            session,
            INVITATION,
            Invitation(postmortem.id, person.name, person.email or "", meeting.sequence),
            now=now,
            idempotency_key=f"{INVITATION.name}:{postmortem.id}:{meeting.sequence}:{person.name}",
        )
    missing = [person.name for person in attendees if not person.email]
    said = (
        f"review meeting {'moved to' if meeting.sequence else 'scheduled for'} "
        f"{starts_at:%Y-%m-%d %H:%M} UTC, {minutes} min; invited {len(invited)}"
        + (f" (no email address: {', '.join(missing)})" if missing else "")
    )
    changes = diff(before, _shown(meeting))
    versions.record(
        session,
        postmortem,
        author=author,
        action="meeting_scheduled",
        said=said,
        now=now,
        changes=changes,
    )
    return meeting


def _shown(meeting: ReviewMeeting | None) -> dict[str, object]:
    """The meeting as its versions compare it (nothing yet: every field empty)."""
    if meeting is None:
        return {}
    return {
        "meeting.starts_at": meeting.starts_at.isoformat(),
        "meeting.ends_at": meeting.ends_at.isoformat(),
        "meeting.location": meeting.location,
        "meeting.attendees": [person["name"] for person in meeting.attendees],
    }


def invitation(meeting: ReviewMeeting, postmortem: Postmortem, sender: str, now: datetime) -> bytes:
    """The meeting as an RFC 5545 request (``METHOD:REQUEST``)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    title = postmortem.content.get("title", "")
    event.add("summary", f"Postmortem review: {postmortem.reference} {title}")
    event.add(
        "description",
        f"Review of postmortem {postmortem.reference} ({title}). Blameless: we look at what the "
        f"system allowed, not who to blame. Read it first: /postmortems/{postmortem.reference}",
    )
    if meeting.location:
        event.add("location", meeting.location)
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(meeting.organizer)
    event.add("organizer", organizer)
    for person in meeting.attendees:
        if not person.get("email"):
            continue
        attendee = vCalAddress(f"mailto:{person['email']}")
        attendee.params["cn"] = vText(person["name"])
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    text: bytes = calendar.to_ical()
    return text


@dataclass(frozen=True)
class Invitation:
    """Invite ``name`` at ``email`` to version ``sequence`` of ``postmortem_id``'s meeting."""

    postmortem_id: int
    name: str
    email: str
    sequence: int


INVITATION = JobKind("postmortems.invitation", Invitation)


def _mail(
    meeting: ReviewMeeting, postmortem: Postmortem, sent: Invitation, sender: str, ics: bytes
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = sent.email
    verb = "moved" if meeting.sequence else "invitation"
    title = postmortem.content.get("title", "")
    mail["Subject"] = f"[Tocsin] Postmortem review {verb}: {postmortem.reference} {title}"
    mail["Message-ID"] = make_msgid(idstring=f"tocsin-review-{postmortem.id}-{meeting.sequence}")
    mail.set_content(
        f"You are invited to review postmortem {postmortem.reference} on "
        f"{meeting.starts_at:%Y-%m-%d %H:%M} UTC"
        + (f" ({meeting.location})" if meeting.location else "")
        + ". The invitation is attached."
    )
    mail.add_alternative(ics.decode(), subtype="calendar", params={"method": "REQUEST"})
    return mail


def send_invitation(ctx: JobContext, sent: Invitation) -> None:
    """The ``postmortems.invitation`` job: mail the invitation (or record it in the outbox)."""
    with ctx.database.sessions() as session:
        postmortem = session.get(Postmortem, sent.postmortem_id)
        meeting = session.get(ReviewMeeting, sent.postmortem_id)
        if postmortem is None or meeting is None or meeting.sequence != sent.sequence:
            return  # moved since: the newer version's invitations follow
        session.expunge_all()
    settings = NotifySettings.from_env()
    sender = settings.smtp.sender if settings.smtp is not None else "tocsin@localhost"
    ics = invitation(meeting, postmortem, sender, ctx.clock.now())
    mail = _mail(meeting, postmortem, sent, sender, ics)
    if settings.outbox:
        with ctx.transaction() as session:
            outbox.record(
                session,
                kind=outbox_store.STAKEHOLDER,
                user_name=sent.name,
                method=ContactMethod(0, "email", sent.email),
                message=Message(
                    subject=str(mail["Subject"]),
                    body=ics.decode(),
                    idempotency_key=f"tocsin-review-{ctx.job.id}",
                ),
                now=ctx.clock.now(),
            )
        return
    if settings.smtp is None:
        raise PermanentFailure("email is not configured (set TOCSIN_MAIL_HOST)")
    try:
        send_composed(settings.smtp, mail, settings.timeout)
    except DeliveryError as error:
        if error.permanent:
            raise PermanentFailure(str(error)) from error
        raise


def register(registry: HandlerRegistry) -> None:
    registry.register(INVITATION, send_invitation)
