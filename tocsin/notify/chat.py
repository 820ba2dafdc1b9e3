"""Chat incoming webhooks, in the request shapes Slack and Microsoft Teams document.

- Slack incoming webhook: ``POST`` JSON ``{"text": ..., "blocks": [...]}``; Slack
  answers ``200 ok`` (https://api.slack.com/messaging/webhooks).
- Teams incoming webhook (Office 365 connector): ``POST`` a ``MessageCard``
  with ``@type``, ``@context``, ``summary``, ``title`` and ``text``.
"""

from __future__ import annotations

import json

from tocsin.notify.message import Message
from tocsin.notify.webhook import post_json


def slack_payload(message: Message) -> dict[str, object]:
    return {
        "text": f"{message.subject}\n{message.body}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.body[:3000]}},
        ],
    }


def teams_payload(message: Message) -> dict[str, object]:
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.subject,
        "title": message.subject,
        "text": message.body.replace("\n", "<br>"),
    }


def send_slack(url: str, message: Message, timeout: float) -> None:
    post_json(url, json.dumps(slack_payload(message)).encode(), {}, timeout)


def send_teams(url: str, message: Message, timeout: float) -> None:
    post_json(url, json.dumps(teams_payload(message)).encode(), {}, timeout)
