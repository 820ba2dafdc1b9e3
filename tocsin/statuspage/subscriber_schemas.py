"""Request and response bodies of the subscriber API (``/api/v1/status-page/subscribers``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["email", "webhook", "slack", "teams"]


class SubscriberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    address: str = Field(
        min_length=3,
        max_length=500,
        description="The email address, or the webhook's URL (Slack's, Teams' incoming webhook)",
        examples=["https://hooks.example.com/status"],
    )
    page: str = Field(default="", max_length=40, description="The page's slug; '' the main page")
    components: list[str] | None = Field(
        default=None, max_length=200, description="Only these components of the page; null: all"
    )
    owner_email: str | None = Field(
        default=None, max_length=320, description="Told when the webhook is disabled"
    )
    confirmed: bool = Field(
        default=False,
        description="Email only: skip the opt-in mail because the address agreed elsewhere. "
        "URL subscribers are confirmed at once.",
    )


class SubscriberOut(BaseModel):
    id: str
    channel: Channel
    #: Email addresses whole (admins only see them); URLs as their host only.
    address: str
    page: str
    components: list[str] | None
    owner_email: str | None
    created_at: datetime
    confirmed_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    failures: int
    secret_hint: str | None = Field(
        description="The first characters of a webhook's signing secret"
    )


class SubscriberCreated(SubscriberOut):
    secret: str | None = Field(
        description="A webhook's signing secret, shown this once (X-Tocsin-Signature's key)"
    )


class SubscriberPage(BaseModel):
    subscribers: list[SubscriberOut]
    next_cursor: str | None


class ImportOut(BaseModel):
    created: int
    updated: int
    opt_in_sent: int = Field(description="Email subscribers sent the opt-in mail")


class DeliveryOut(BaseModel):
    subscriber: str
    channel: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    counts: dict[str, int]
    deliveries: list[DeliveryOut]
    next_cursor: str | None


class ToldUpdateOut(BaseModel):
    id: str = Field(description="The public update's id")
    status: str
    incident_id: str = Field(description="The public incident's (or maintenance's) id")
    incident_name: str


class ToldComponentOut(BaseModel):
    component: str
    old_status: str
    new_status: str
    changed_at: datetime


class ToldPostmortemOut(BaseModel):
    incident_id: str = Field(description="The public incident's id")
    incident_name: str
    title: str | None = Field(description="The postmortem's title (null: withdrawn since)")


class SubscriberDeliveryOut(BaseModel):
    kind: Literal["incident_update", "component_update", "postmortem"] = Field(
        description="What was told: a public update, a component's status change (webhooks "
        "only), or that an incident's postmortem is public"
    )
    update: ToldUpdateOut | None = Field(description="The update told (incident_update)")
    component_update: ToldComponentOut | None = Field(
        description="The change told (component_update)"
    )
    postmortem: ToldPostmortemOut | None = Field(
        default=None, description="The postmortem told (postmortem)"
    )
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class SubscriberDeliveryPage(BaseModel):
    subscriber: str
    channel: Channel
    deliveries: list[SubscriberDeliveryOut]
    next_cursor: str | None
