"""The status page's configuration: its components, its pages and how it speaks.

```yaml
status_page:
  title: Acme status
  time_zone: Europe/Paris          # the zone times are shown in until the reader's is known
  components:
    - {name: Checkout, group: Payments, description: Buying things on the web site}
    - {name: Admin, only_show_if_degraded: true}
  pages:                           # more audiences, each with its own components
    - {slug: partners, title: Partner API status, components: [Payments API], access: login}
  proposals: {SEV-1: major_outage, SEV-2: partial_outage, SEV-3: degraded_performance}
  publish_automatically: [checkout-web]   # services whose incidents set statuses unconfirmed
  customers: {payments-api: [ops@bigcustomer.example]}
  templates: {no_update: "We are still investigating {{ incident.name }}..."}
```

Services name the components they appear as (``services.NAME.components``);
the components are stored as ``status_page_component`` definitions, one per
component (position is their order), and the rest as one ``status_page``
definition.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, PlainValidator

from tocsin.config.catalog import Kind
from tocsin.config.fields import (
    EmailAddress,
    ObjectName,
    Spec,
    TimeZoneName,
    WebUrl,
    describe,
)

STATUS_PAGE_COMPONENT = "status_page_component"
STATUS_PAGE = "status_page"
#: The name of the one ``status_page`` definition.
STATUS_PAGE_NAME = "status_page"


class ComponentStatus(StrEnum):
    """Statuspage's component statuses, mildest first."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class TemplateName(StrEnum):
    """The messages Tocsin drafts from templates (see :mod:`tocsin.statuspage.drafting`)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    NO_UPDATE = "no_update"
    CUSTOMER_NOTIFICATION = "customer_notification"
    INTERNAL_REPORT = "internal_report"
    POST_RESOLUTION_SUMMARY = "post_resolution_summary"


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


#: Words the main page's addresses use (``/status/history``...), so no page may be called so.
RESERVED_SLUGS = frozenset({"history", "incidents", "subscribe", "subscribers", "api", "assets"})


def page_slug(value: Any) -> str:
    if isinstance(value, str) and value in RESERVED_SLUGS:
        reserved = ", ".join(sorted(RESERVED_SLUGS))
        raise ValueError(f"must not be one of {reserved}, got {value!r}")
    if isinstance(value, str) and _SLUG.fullmatch(value):
        return value
    raise ValueError(
        "must be lower-case letters, digits and dashes (at most 40), like 'partners', "
        f"got {describe(value)}"
    )


def network(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        raise ValueError(
            f"must be an IP address or range like 10.0.0.0/8, got {describe(value)}"
        ) from None


_CHECKER = SandboxedEnvironment()


def template_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a Jinja2 template (text), got {describe(value)}")
    try:
        _CHECKER.parse(value)
    except TemplateSyntaxError as error:
        where = f"{error.message} (line {error.lineno})"
        raise ValueError(f"is not a valid template: {where}") from None
    return value


PageSlug = Annotated[str, PlainValidator(page_slug)]
Network = Annotated[str, PlainValidator(network)]
TemplateText = Annotated[str, PlainValidator(template_text)]


class ComponentConfig(Spec):
    name: ObjectName
    group: str = ""
    description: str = ""
    #: Hidden from the public page while operational.
    only_show_if_degraded: bool = False


class AccessConfig(Spec):
    #: public: anyone; login: people signed in to Tocsin. ``allow`` narrows either to IP ranges.
    access: Literal["public", "login"] = "public"
    allow: list[Network] = Field(default_factory=list)


class AudienceConfig(AccessConfig):
    """Another page, at ``/status/<slug>``, showing some of the components."""

    slug: PageSlug
    title: str
    components: list[ObjectName] = Field(min_length=1)


class StatusPageConfig(AccessConfig):
    title: str = "Status"
    #: Where the public reads the page, for links in mails and feeds; else the server's URL.
    url: WebUrl | None = None
    time_zone: TimeZoneName = "UTC"
    components: list[ComponentConfig] = Field(default_factory=list)
    pages: list[AudienceConfig] = Field(default_factory=list)
    #: The component status proposed for an open incident of each severity level.
    proposals: dict[str, ComponentStatus] = Field(default_factory=dict)
    #: Services whose incidents change their components' statuses without confirmation.
    publish_automatically: list[ObjectName] = Field(default_factory=list)
    #: Enterprise customers to notify per service, by email.
    customers: dict[ObjectName, list[EmailAddress]] = Field(default_factory=dict)
    templates: dict[TemplateName, TemplateText] = Field(default_factory=dict)


class StatusPageSettings(Spec):
    """What the ``status_page`` definition stores: everything but the components."""

    title: str = "Status"
    url: str | None = None
    time_zone: str = "UTC"
    access: Literal["public", "login"] = "public"
    allow: list[str] = Field(default_factory=list)
    pages: list[AudienceConfig] = Field(default_factory=list)
    proposals: dict[str, ComponentStatus] = Field(default_factory=dict)
    publish_automatically: list[str] = Field(default_factory=list)
    customers: dict[str, list[str]] = Field(default_factory=dict)
    templates: dict[TemplateName, str] = Field(default_factory=dict)


STATUS_PAGE_COMPONENT_KIND: Kind[ComponentConfig] = Kind(
    STATUS_PAGE_COMPONENT, "status page component", "status page components"
)
STATUS_PAGE_KIND: Kind[StatusPageSettings] = Kind(STATUS_PAGE, "status page", "status pages")
