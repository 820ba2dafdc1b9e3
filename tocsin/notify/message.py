"""What a channel delivers: one message that may carry several pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DeliveryError(Exception):
    """A delivery failed. ``permanent`` failures (no gateway configured, a 4xx) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    #: Unique per message; receivers that support it deduplicate retries with it.
    idempotency_key: str
    #: Machine-readable content for webhooks: pages, their ack links, the escalation.
    data: dict[str, Any] = field(default_factory=dict)
