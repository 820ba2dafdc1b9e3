"""Where a sending tool reaches an integration: full URLs and mail addresses.

The base is ``TOCSIN_PUBLIC_URL`` when set (Tocsin behind a proxy or a load
balancer), otherwise the address the request itself reached. Mail goes to
``<key>@<domain>``: the SMTP listener's ``--smtp-domain`` when it has one,
otherwise the base URL's host (the listener then accepts any domain).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from fastapi import Request

from tocsin.alerts.runtime import AlertsRuntime

#: How each integration type is reached, from the base URL (``{base}``) and key (``{key}``).
TEMPLATES = {
    "alertmanager": "{base}/api/v1/integrations/{key}/alertmanager",
    "grafana": "{base}/api/v1/integrations/{key}/grafana",
    "webhook": "{base}/api/v1/integrations/{key}/webhook",
    "heartbeat": "{base}/api/v1/heartbeats/{key}",
    "pagerduty": "{base}/v2/enqueue (routing_key: {key})",
    "opsgenie": "{base}/v2/alerts (Authorization: GenieKey {key})",
    "email": "{key}@{domain}",
}


def base_url(request: Request, tocsin: AlertsRuntime) -> str:
    """Tocsin's address as senders reach it, without a trailing slash."""
    return (tocsin.settings.public_url or str(request.base_url)).rstrip("/")


def mail_domain(request: Request, base: str) -> str:
    """The domain of inbound mail addresses."""
    configured: str | None = getattr(request.app.state, "smtp_domain", None)
    if configured:
        return configured
    host = urlsplit(base).hostname or "localhost"
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return host
    # An address literal: key@[127.0.0.1], key@[IPv6:::1].
    return f"[{host}]" if literal.version == 4 else f"[IPv6:{host}]"


def endpoint(request: Request, tocsin: AlertsRuntime, kind: str, key: str = "{key}") -> str:
    """Where an integration of type ``kind`` with ``key`` is sent to."""
    base = base_url(request, tocsin)
    domain = mail_domain(request, base) if kind == "email" else ""
    return TEMPLATES[kind].format(base=base, key=key, domain=domain)
