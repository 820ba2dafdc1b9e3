"""What subscribers receive: mails, Statuspage-shaped webhooks, Slack and Teams messages.

A :class:`Notice` is one public update as one page tells it; every channel's
message is drawn from it and the subscriber's :class:`Links`:

- email: plain text with the page title, the incident's name, the update's
  status and body, the affected components, and links to the incident,
  manage and unsubscribe (also in ``List-Unsubscribe``, RFC 8058);
- webhook: Statuspage's incident webhook (``meta`` with ``unsubscribe`` and
  ``documentation``, ``page`` with ``id``, ``status_indicator`` and
  ``status_description``, and ``incident`` with its ``incident_updates``);
- Slack: an incoming webhook's ``{"text": ..., "blocks": [...]}``;
- Teams: a message carrying one Adaptive Card (``type: message``,
  ``attachments[0].contentType`` ``application/vnd.microsoft.card.adaptive``).

A :class:`ComponentNotice` is one component status change as one page tells
it; only webhooks receive it, as Statuspage's component update webhook
(``meta``, ``page``, ``component_update`` with the old and new status, and
``component``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tocsin.statuspage.subscriber_links import Links

WORDS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
    "in_progress": "In progress",
}
SLACK_TEXT_LIMIT = 3000
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def word(status: str) -> str:
    return WORDS.get(status, status.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Notice:
    """One public update as one page tells it."""

    page_title: str
    page_id: str
    indicator: str
    description: str
    incident_name: str
    update_code: str
    update_status: str
    update_body: str
    #: (component, its new status), in the update's order.
    affected: tuple[tuple[str, str], ...]
    incident_url: str
    #: The incident in Statuspage's shape, its updates up to this one.
    document: dict[str, Any]
    #: When the update was posted, as the page shows it ("Jan 5, 09:30 UTC").
    shown_at: str


@dataclass(frozen=True)
class ComponentNotice:
    """One component status change as one page tells it."""

    page_id: str
    indicator: str
    description: str
    component: str
    new_status: str
    #: Statuspage's ``component_update`` and ``component`` objects.
    component_update: dict[str, Any]
    shaped_component: dict[str, Any]
    #: The change's public id, in the delivery's id (``X-Tocsin-Delivery``).
    change_id: str

    @property
    def headline(self) -> str:
        return f"{self.component}: {word(self.new_status)}"


def _component_lines(notice: Notice) -> list[str]:
    return [f"- {name}: {word(status)}" for name, status in notice.affected]


def email(notice: Notice, links: Links) -> tuple[str, str]:
    """The subject and plain-text body of an update's mail."""
    subject = f"[{notice.page_title}] {notice.incident_name}: {word(notice.update_status)}"
    lines = [
        notice.incident_name,
        "",
        f"{word(notice.update_status)} ({notice.shown_at}): {notice.update_body}",
    ]
    if notice.affected:
        lines += ["", "Affected components:", *_component_lines(notice)]
    lines += [
        "",
        f"Follow this incident: {notice.incident_url}",
        "",
        "--",
        f"You are subscribed to {notice.page_title}.",
        f"Choose the components you hear about: {links.manage}",
        f"Unsubscribe: {links.unsubscribe}",
    ]
    return subject, "\n".join(lines) + "\n"


def opt_in_email(page_title: str, links: Links, *, already: bool) -> tuple[str, str]:
    """The confirmation mail (or, for an address confirmed already, its manage link)."""
    if already:
        subject = f"[{page_title}] You are already subscribed"
        lines = [
            f"Someone (you, we hope) asked to subscribe this address to {page_title}.",
            "It is subscribed already, so nothing changed.",
            "",
            f"Choose the components you hear about: {links.manage}",
            f"Unsubscribe: {links.unsubscribe}",
        ]
    else:
        subject = f"[{page_title}] Confirm your subscription"
        lines = [
            f"Someone (you, we hope) asked to subscribe this address to {page_title}.",
            "",
            f"Confirm the subscription: {links.confirm}",
            "",
            "If it was not you, ignore this mail: nothing will be sent without confirmation.",
        ]
    return subject, "\n".join(lines) + "\n"


def disabled_email(
    page_title: str, channel: str, shown_address: str, reason: str
) -> tuple[str, str]:
    """The mail to a webhook's owner when Tocsin stops posting to it."""
    subject = f"[{page_title}] Your {channel} subscription was disabled"
    body = (
        f"Tocsin stopped sending {page_title} updates to {shown_address}: {reason}\n\n"
        "Ask the status page's administrators to enable it again once the receiver works.\n"
    )
    return subject, body


def webhook(notice: Notice, links: Links, documentation: str) -> dict[str, Any]:
    """Statuspage's incident webhook payload."""
    return {
        "meta": {"unsubscribe": links.unsubscribe, "documentation": documentation},
        "page": {
            "id": notice.page_id,
            "status_indicator": notice.indicator,
            "status_description": notice.description,
        },
        "incident": notice.document,
    }


def component_webhook(notice: ComponentNotice, links: Links, documentation: str) -> dict[str, Any]:
    """Statuspage's component update webhook payload."""
    return {
        "meta": {"unsubscribe": links.unsubscribe, "documentation": documentation},
        "page": {
            "id": notice.page_id,
            "status_indicator": notice.indicator,
            "status_description": notice.description,
        },
        "component_update": notice.component_update,
        "component": notice.shaped_component,
    }


def slack(notice: Notice, links: Links) -> dict[str, Any]:
    """A Slack incoming webhook message: ``text`` for notifications, ``blocks`` to show."""
    headline = f"{notice.incident_name}: {word(notice.update_status)}"
    details = notice.update_body[:SLACK_TEXT_LIMIT]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
        {"type": "section", "text": {"type": "plain_text", "text": details}},
    ]
    if notice.affected:
        affected = "\n".join(_component_lines(notice))
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": affected}})
    links_text = f"<{notice.incident_url}|View the incident> · <{links.unsubscribe}|Unsubscribe>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links_text}]})
    return {"text": f"[{notice.page_title}] {headline}", "blocks": blocks}


def teams(notice: Notice, links: Links) -> dict[str, Any]:
    """A Teams incoming webhook message carrying an Adaptive Card."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": notice.page_title, "isSubtle": True, "wrap": True},
        {
            "type": "TextBlock",
            "text": notice.incident_name,
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": f"{word(notice.update_status)} · {notice.shown_at}",
            "wrap": True,
        },
        {"type": "TextBlock", "text": notice.update_body, "wrap": True},
    ]
    if notice.affected:
        facts = [{"title": name, "value": word(status)} for name, status in notice.affected]
        body.append({"type": "FactSet", "facts": facts})
    card = {
        "$schema": ADAPTIVE_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": "View the incident", "url": notice.incident_url},
            {"type": "Action.OpenUrl", "title": "Unsubscribe", "url": links.unsubscribe},
        ],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }
