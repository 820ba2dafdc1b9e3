"""Schemathesis fuzzes every operation in the OpenAPI document: no input gives a 5xx.

The app runs in-process over a throwaway SQLite database, called both as an
admin (so writes get past authorisation and into validation and the store) and
without credentials; a stateful test then chains an admin's calls (create a
team, refer to it from a service, delete it...). Both are bounded so the suite
stays fast; docs/testing.md records the long run against a real server.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from tests.alerts import fuzzing as alerting_fuzz
from tocsin.alerts import integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings

pytestmark = pytest.mark.slow

_data_dir = Path(tempfile.mkdtemp(prefix="tocsin-fuzz-"))
_tocsin = Tocsin.open(Settings.load(data_dir=_data_dir), clock=FakeClock())
with _tocsin.database.transaction() as _session:
    _admin = accounts.create_user(
        _session, now=_tocsin.clock.now(), actor="fuzz", name="fuzz", email=None, role="admin"
    )
    _, TOKEN = accounts.create_token(_session, _admin, now=_tocsin.clock.now(), actor="fuzz")

#: A key per integration type, so inbound endpoints are fuzzed past the key check too.
KEYS: dict[str, str] = {}
with _tocsin.database.transaction() as _session:
    for _type, _settings in alerting_fuzz.INTEGRATIONS.items():
        KEYS[_type] = integrations.create(
            _session,
            f"fuzz-{_type}",
            IntegrationConfig.model_validate({"service": "fuzz", "type": _type, **_settings}),
            actor="fuzz",
            now=_tocsin.clock.now(),
        )

app = create_app(_tocsin)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_input_gives_a_server_error(case: Case[Any]) -> None:
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {}):
        _answers_without_server_error(case, headers)
    inbound = alerting_fuzz.as_integration(case, KEYS)
    if inbound is not None:
        _answers_without_server_error(case, inbound)


def _answers_without_server_error(case: Case[Any], headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} answered {response.status_code}: "
        f"{response.text[:500]}"
    )


#: Revoking the fuzzer's own token would leave the rest of a scenario answering 401.
_stateful = schema.exclude(operation_id="revoke_token_api_v1_tokens__token_id__delete")


class AdminWorkflow(_stateful.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls an admin could make, each using what earlier answers returned."""

    def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {TOKEN}"}}

    def validate_response(
        self, response: Any, case: Case[Any], additional_checks: Any = None, **kwargs: Any
    ) -> None:
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} answered {response.status_code}: "
            f"{response.text[:500]}"
        )


TestAdminWorkflow = AdminWorkflow.TestCase
# The app and its database live across examples, so which calls are possible
# depends on what earlier examples did: with random generation, Hypothesis can
# meet one sequence of choices twice with different rules available and stop
# with FlakyStrategyDefinition. Derandomized, every run makes the same
# sequence of examples against the same states.
TestAdminWorkflow.settings = settings(
    derandomize=True,
    max_examples=15,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
