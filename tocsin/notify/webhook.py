"""Signed outgoing webhooks.

Each request carries::

    X-Tocsin-Timestamp: 1767603600
    X-Tocsin-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the secret>
    X-Tocsin-Delivery: <unique id of the message; the same on retries>

Receivers recompute the HMAC over the timestamp, a dot and the raw body,
compare in constant time, and reject timestamps older than a few minutes
(replay). :func:`verify` does exactly that; docs/paging.md shows the same in
a few lines for receivers that do not use Python's Tocsin package.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime

import httpx

from tocsin.notify.message import DeliveryError, Message

TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
SIGNATURE_HEADER = "X-Tocsin-Signature"
DELIVERY_HEADER = "X-Tocsin-Delivery"
VERSION = "v1"
#: Signatures older than this are refused by :func:`verify`.
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={digest.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signed: str,
    now: datetime,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether ``signed`` is this body's signature, made within ``tolerance`` seconds of ``now``."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), signed)


def is_permanent(status: int) -> bool:
    """4xx answers will not change on retry, except timeouts and rate limiting."""
    return 400 <= status < 500 and status not in (408, 429)


# httpx logs every request's URL at INFO; webhook URLs carry secrets (Slack's,
# Teams'), so its request log stays off.
logging.getLogger("httpx").setLevel(logging.WARNING)

#: One connection pool for every delivery: building a client per request costs more
#: (TLS context, connections) than the request itself.
_CLIENT = httpx.Client()


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST ``body``; raise :class:`DeliveryError` unless the answer is 2xx."""
    try:
        response = _CLIENT.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=timeout,
        )
    except httpx.HTTPError as error:
        raise DeliveryError(f"cannot reach the receiver: {type(error).__name__}") from None
    if not response.is_success:
        raise DeliveryError(
            f"receiver answered HTTP {response.status_code}",
            permanent=is_permanent(response.status_code),
        )


def send_webhook(
    url: str, message: Message, secret: str | None, now: datetime, timeout: float
) -> None:
    if not secret:
        raise DeliveryError(
            "outgoing webhooks need a signing secret (set TOCSIN_WEBHOOK_SECRET)", permanent=True
        )
    payload = {
        "event": "page",
        "delivery": message.idempotency_key,
        "subject": message.subject,
        "text": message.body,
        **message.data,
    }
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        DELIVERY_HEADER: message.idempotency_key,
    }
    post_json(url, body, headers, timeout)
