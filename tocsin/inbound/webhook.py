"""Generic JSON webhooks: any body, turned into alerts by the integration's JMESPath mapping.

The mapping (see :class:`tocsin.alerts.config_schema.WebhookMapping`) names
an expression for each field. ``alerts`` may select a list, each item of
which is one alert; otherwise the whole body is one. ``dedup_key`` and
``summary`` must give a value for every item; the others are optional.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from tocsin.alerts.config_schema import WebhookMapping
from tocsin.alerts.receive import InvalidSignal
from tocsin.domain.alert_lifecycle import Action, Signal, label_values, parse_severity

#: Most alerts one webhook body may carry.
MAX_ITEMS = 10_000
_RESOLVE_WORDS = frozenset(
    {"resolved", "resolve", "ok", "closed", "close", "recovered", "inactive"}
)
_ACK_WORDS = frozenset({"acknowledged", "acknowledge", "ack", "acked"})


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def _search(field: str, expression: str | None, item: Any) -> Any:
    if expression is None:
        return None
    try:
        return _compiled(expression).search(item)
    except JMESPathError as error:
        raise InvalidSignal(f"mapping.{field}", f"{expression!r} failed: {error}") from error


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def action(value: Any) -> Action:
    word = _text(value).strip().lower()
    if word in _RESOLVE_WORDS:
        return Action.RESOLVE
    if word in _ACK_WORDS:
        return Action.ACKNOWLEDGE
    return Action.TRIGGER


def _required(field: str, expression: str, item: Any, where: str) -> str:
    value = _text(_search(field, expression, item)).strip()
    if not value:
        raise InvalidSignal(
            where, f"the mapping's {field} expression {expression!r} gave nothing for this item"
        )
    return value


def _details(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def signals(mapping: WebhookMapping, body: Any) -> list[Signal]:
    items = [body]
    if mapping.alerts is not None:
        selected = _search("alerts", mapping.alerts, body)
        if not isinstance(selected, list):
            raise InvalidSignal(
                "body", f"the mapping's alerts expression {mapping.alerts!r} did not give a list"
            )
        if len(selected) > MAX_ITEMS:
            raise InvalidSignal("body", f"at most {MAX_ITEMS} alerts per request")
        items = selected
    found = []
    for index, item in enumerate(items):
        where = f"alerts[{index}]" if mapping.alerts is not None else "body"
        labels = _search("labels", mapping.labels, item)
        details = _search("details", mapping.details, item)
        runbook = _search("runbook_url", mapping.runbook_url, item)
        found.append(
            Signal(
                action=action(_search("status", mapping.status, item)),
                dedup_key=_required("dedup_key", mapping.dedup_key, item, where),
                summary=_required("summary", mapping.summary, item, where),
                severity=parse_severity(_text(_search("severity", mapping.severity, item)) or None),
                source=_text(_search("source", mapping.source, item)),
                labels=label_values(labels) if isinstance(labels, dict) else {},
                details=_details(details),
                runbook_url=runbook if isinstance(runbook, str) and runbook else None,
            )
        )
    return found
