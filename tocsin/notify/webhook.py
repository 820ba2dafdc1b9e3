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

from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.posting import POOL, PostError

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


# httpx (used for receivers behind a proxy) logs every request's URL at INFO;
# webhook URLs carry secrets (Slack's, Teams'), so its request log stays off.
logging.getLogger("httpx").setLevel(logging.WARNING)


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST ``body`` over a kept-alive connection; raise :class:`DeliveryError` unless 2xx."""
    try:
        status = POOL.post(url, body, {"Content-Type": "application/json", **headers}, timeout)
    except PostError as error:
        raise DeliveryError(f"cannot reach the receiver: {error}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"receiver answered HTTP {status}", permanent=is_permanent(status))


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
