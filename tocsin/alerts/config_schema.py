"""Pydantic models for the alerting kinds of configuration.

=====================  ====================  ==========================================
YAML key               definition kind       one object is
=====================  ====================  ==========================================
integrations           integration           an inbound source bound to a service
alert_policies         alert_policy          grouping, auto-resolve, flapping per service
routing_rules          routing_rule          label matchers choosing service, policy...
auto_incident_rules    auto_incident_rule    alert severity and labels → incident severity
maintenance_windows    maintenance_window    services whose alerts do not page for a while
=====================  ====================  ==========================================

Integration keys are never written in YAML: a key is either generated
(``tocsin integration rotate NAME`` prints it once) or read by the server from
the environment variable named by ``key_env``, so configuration files can be
committed and reviewed without leaking a secret.

Durations are written ``30s``, ``5m``, ``4h``, ``1d`` or ``5 minutes`` and
stored as whole seconds, which validate again when a stored spec is read back.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import AwareDatetime, Field, PlainSerializer, PlainValidator, field_validator
from pydantic import model_validator as model_check

from tocsin.config.catalog import Kind
from tocsin.config.fields import ObjectName, PositiveInteger, Spec, describe
from tocsin.domain.alert_lifecycle import Severity
from tocsin.domain.matchers import MatcherError, parse

INTEGRATION = "integration"
ALERT_POLICY = "alert_policy"
ROUTING_RULE = "routing_rule"
AUTO_INCIDENT_RULE = "auto_incident_rule"
MAINTENANCE_WINDOW = "maintenance_window"
ALERTING_KINDS = (INTEGRATION, ALERT_POLICY, ROUTING_RULE, AUTO_INCIDENT_RULE, MAINTENANCE_WINDOW)

#: ``alert_policies`` entry that applies to services without one of their own.
DEFAULT_POLICY = "*"

IntegrationType = Literal[
    "alertmanager", "grafana", "pagerduty", "opsgenie", "webhook", "email", "heartbeat"
]
INTEGRATION_TYPES: tuple[str, ...] = (
    "alertmanager",
    "grafana",
    "pagerduty",
    "opsgenie",
    "webhook",
    "email",
    "heartbeat",
)
#: Requests per minute one key may send unless its integration says otherwise.
DEFAULT_RATE_LIMIT = 6000

_DURATION = re.compile(
    r"(?P<count>\d+)\s*(?P<unit>s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


def duration(value: Any) -> timedelta:
    """A positive span: ``90`` (seconds), ``"90s"``, ``"5m"``, ``"4h"``, ``"2 hours"``."""
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        found = _DURATION.fullmatch(value.strip())
        if found:
            seconds = int(found["count"]) * _UNIT_SECONDS[found["unit"][0].lower()]
    if seconds is None or seconds <= 0:
        raise ValueError(
            f'must be a duration like "30s", "5m", "4h", "1d" or "5 minutes", got {describe(value)}'
        )
    return timedelta(seconds=seconds)


Duration = Annotated[
    timedelta,
    PlainValidator(duration),
    PlainSerializer(lambda span: int(span.total_seconds()), return_type=int),
]


def matcher_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'must be a matcher like severity="critical", got {describe(value)}')
    try:
        return str(parse(value))
    except MatcherError as error:
        raise ValueError(str(error)) from None


MatcherText = Annotated[str, PlainValidator(matcher_text)]


def regex_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a regular expression, got {describe(value)}")
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"invalid regular expression {value!r}: {error}") from None
    return value


RegexText = Annotated[str, PlainValidator(regex_text)]


def jmespath_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a JMESPath expression, got {describe(value)}")
    try:
        jmespath.compile(value)
    except JMESPathError as error:
        message = " ".join(str(error).split())
        raise ValueError(f"invalid JMESPath expression {value!r}: {message}") from None
    return value


Expression = Annotated[str, PlainValidator(jmespath_text)]


def env_name(value: Any) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "must be the name of an environment variable (capital letters, digits and _), "
            f"got {describe(value)}"
        )
    return value


class HeartbeatConfig(Spec):
    """A dead man's switch: an alert when no ping came for ``interval`` plus ``grace``."""

    interval: Duration
    grace: Duration = timedelta(minutes=1)


class EmailConfig(Spec):
    """How mail becomes an alert: subject → summary, body → details.

    ``dedup_pattern`` picks the dedup key out of the subject (the first group
    if it has one, else the whole match); without it the subject is the key.
    Mail whose subject matches ``resolve_pattern`` resolves instead.
    """

    dedup_pattern: RegexText | None = None
    resolve_pattern: RegexText | None = None
    severity: Severity = Severity.ERROR


class WebhookMapping(Spec):
    """JMESPath expressions that turn any JSON body into alerts.

    ``alerts`` (optional) selects a list of items, each mapped on its own;
    without it the whole body is one item. ``status`` values resolved, ok,
    closed, recovered or inactive resolve; acknowledged or ack acknowledge;
    anything else triggers.
    """

    alerts: Expression | None = None
    dedup_key: Expression
    summary: Expression
    severity: Expression | None = None
    status: Expression | None = None
    source: Expression | None = None
    labels: Expression | None = None
    details: Expression | None = None
    runbook_url: Expression | None = None


class IntegrationConfig(Spec):
    service: ObjectName
    type: IntegrationType
    description: str = ""
    #: Environment variable holding a key (at least 16 characters) the server accepts.
    key_env: Annotated[str, PlainValidator(env_name)] | None = None
    rate_limit_per_minute: PositiveInteger = DEFAULT_RATE_LIMIT
    heartbeat: HeartbeatConfig | None = None
    email: EmailConfig | None = None
    mapping: WebhookMapping | None = None

    @model_check(mode="after")
    def _type_settings(self) -> IntegrationConfig:
        needs = {"heartbeat": "heartbeat", "webhook": "mapping"}
        for kind, field in needs.items():
            if self.type == kind and getattr(self, field) is None:
                raise ValueError(f"a {kind} integration needs {field}")
        for field, kind in (("heartbeat", "heartbeat"), ("mapping", "webhook"), ("email", "email")):
            if getattr(self, field) is not None and self.type != kind:
                raise ValueError(f"{field} is only allowed on a {kind} integration")
        return self


class FlappingConfig(Spec):
    cycles: Annotated[int, Field(ge=2)] = 5
    window: Duration = timedelta(hours=1)


class AlertPolicyConfig(Spec):
    """Grouping, auto-resolve and flapping for one service (or ``"*"`` for every other)."""

    group_by: list[str] = Field(default_factory=list)
    group_window: Duration = timedelta(minutes=5)
    auto_resolve_after: Duration | None = None
    flapping: FlappingConfig = Field(default_factory=FlappingConfig)


class RoutingRuleConfig(Spec):
    matchers: list[MatcherText] = Field(default_factory=list)
    service: ObjectName | None = None
    escalation_policy: ObjectName | None = None
    urgency: Literal["high", "low"] | None = None
    #: A configured severity level, or "none" for "never an incident".
    incident_severity: ObjectName | None = None


class AutoIncidentRuleConfig(Spec):
    matchers: list[MatcherText] = Field(default_factory=list)
    alert_severities: list[Severity] = Field(default_factory=list)
    incident_severity: ObjectName


class MaintenanceWindowConfig(Spec):
    services: list[ObjectName] = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    comment: str = ""

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: Any, info: Any) -> Any:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("must be after start")
        return end


INTEGRATION_KIND: Kind[IntegrationConfig] = Kind(INTEGRATION, "integration", "integrations")
ALERT_POLICY_KIND: Kind[AlertPolicyConfig] = Kind(ALERT_POLICY, "alert policy", "alert policies")
ROUTING_RULE_KIND: Kind[RoutingRuleConfig] = Kind(ROUTING_RULE, "routing rule", "routing rules")
AUTO_INCIDENT_RULE_KIND: Kind[AutoIncidentRuleConfig] = Kind(
    AUTO_INCIDENT_RULE, "auto-incident rule", "auto-incident rules"
)
MAINTENANCE_WINDOW_KIND: Kind[MaintenanceWindowConfig] = Kind(
    MAINTENANCE_WINDOW, "maintenance window", "maintenance windows"
)
