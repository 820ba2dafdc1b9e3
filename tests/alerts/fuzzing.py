"""What the API fuzz test needs to reach past the inbound endpoints' key checks."""

from __future__ import annotations

from typing import Any

from schemathesis import Case

#: Settings each integration type needs, for the fuzz test's integrations.
INTEGRATIONS: dict[str, dict[str, Any]] = {
    "alertmanager": {},
    "grafana": {},
    "pagerduty": {"rate_limit_per_minute": 1_000_000},
    "opsgenie": {"rate_limit_per_minute": 1_000_000},
    "webhook": {"mapping": {"alerts": "alerts", "dedup_key": "id", "summary": "title"}},
    "heartbeat": {"heartbeat": {"interval": 60}},
}


def as_integration(case: Case[Any], keys: dict[str, str]) -> dict[str, str] | None:
    """Put a real integration key where the operation takes one and return the headers to send.

    None for operations that take no integration key.
    """
    path = case.operation.path
    if path.startswith("/v2/alerts"):
        return {"Authorization": f"GenieKey {keys['opsgenie']}"}
    if path == "/v2/enqueue":
        if isinstance(case.body, dict):
            case.body["routing_key"] = keys["pagerduty"]
        return {}
    if "key" in (case.path_parameters or {}):
        kind = "heartbeat" if path.startswith("/api/v1/heartbeats/") else path.rsplit("/", 1)[-1]
        case.path_parameters["key"] = keys.get(kind, "")
        return {}
    return None
