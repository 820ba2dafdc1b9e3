"""Delivering a message to one contact method, whatever its type."""

from __future__ import annotations

from datetime import datetime

from tocsin.domain.notification_rules import ContactMethod
from tocsin.notify.apprise import gateway_url, scheme, send_apprise
from tocsin.notify.chat import send_slack, send_teams
from tocsin.notify.message import Message
from tocsin.notify.settings import NotifySettings
from tocsin.notify.smtp import send_email
from tocsin.notify.webhook import send_webhook


def provider(method: ContactMethod) -> str:
    """The name recorded on delivery attempts: smtp, webhook, slack, teams or an Apprise scheme."""
    if method.type == "email":
        return "smtp"
    if method.type == "webhook":
        return "webhook"
    if method.type in ("slack", "teams") and "://" in method.target:
        return method.type
    if method.type == "apprise":
        return f"apprise:{scheme(method.target)}"
    return f"apprise:{method.type}"


def deliver(
    settings: NotifySettings, method: ContactMethod, message: Message, now: datetime
) -> None:
    """Send ``message``; raises :class:`~tocsin.notify.message.DeliveryError` on failure."""
    timeout = settings.timeout
    target = method.target
    if method.type == "email":
        send_email(settings.smtp, target, message, timeout)
    elif method.type == "webhook":
        send_webhook(target, message, settings.webhook_secret, now, timeout)
    elif method.type == "slack" and "://" in target:
        send_slack(target, message, timeout)
    elif method.type == "teams":
        send_teams(target, message, timeout)
    elif method.type == "apprise":
        send_apprise(target, message)
    elif method.type == "ntfy" and "://" in target:
        send_apprise(target.replace("https://", "ntfys://").replace("http://", "ntfy://"), message)
    else:
        send_apprise(gateway_url(method.type, target, settings.templates), message)
