"""The generic webhook tracker: signed JSON events about action items, POSTed to a URL.

Each event is ``{"event": "action_item.created" | "action_item.changed",
"delivery": ..., "action_item": {...}}`` (a change also lists its ``changes``,
each field ``before`` and ``after``), signed as every outgoing webhook of
Tocsin is (:mod:`tocsin.notify.webhook`: ``X-Tocsin-Timestamp``,
``X-Tocsin-Signature: v1=<HMAC-SHA256 of "<timestamp>.<body>">``,
``X-Tocsin-Delivery``, the same on retries). The receiver may answer a
creation with ``{"key": ..., "url": ...}``, its own issue; without, the key is
the item's reference (``AI-7``). Statuses come back through the inbound
endpoint (:mod:`tocsin.postmortems.tracker_routes`), signed the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tocsin.kernel.clock import Clock
from tocsin.notify.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)
from tocsin.postmortems import tracker_http
from tocsin.postmortems.trackers import Created, ItemView, Update, WebhookTrackerConfig, secret

CREATED, CHANGED = "action_item.created", "action_item.changed"


def event(
    kind: str, item: ItemView, delivery: str, before: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An event's JSON: what happened, to which item, and (a change) what changed."""
    data = item.as_data()
    found: dict[str, Any] = {"event": kind, "delivery": delivery, "action_item": data}
    if before is not None:
        found["changes"] = [
            {"field": name, "before": before.get(name), "after": value}
            for name, value in data.items()
            if before.get(name) != value
        ]
    return found


def signed_headers(secret_value: str, body: bytes, delivery: str, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret_value, timestamp, body),
        DELIVERY_HEADER: delivery,
    }


class Webhook:
    def __init__(self, config: WebhookTrackerConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def _post(self, payload: Mapping[str, Any], delivery: str) -> Any:
        key = secret(self.config.secret_env, "webhook")
        content = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        headers = signed_headers(key, content, delivery, self.clock.now())
        path = urlsplit(self.config.url).path or "/"
        return tracker_http.call(
            "the webhook receiver", "POST", self.config.url, path, headers=headers, content=content
        )

    def create(self, item: ItemView, *, delivery: str) -> Created:
        answer = self._post(event(CREATED, item, delivery), delivery)
        given = answer if isinstance(answer, dict) else {}
        key, url = given.get("key"), given.get("url")
        return Created(
            str(key) if isinstance(key, str | int) and 0 < len(str(key)) <= 200 else item.reference,
            url if isinstance(url, str) and len(url) <= 2000 else None,
            item.status,
            item.status,
        )

    def update(self, change: Update) -> str | None:
        self._post(event(CHANGED, change.item, change.delivery, change.before), change.delivery)
        return change.item.status
