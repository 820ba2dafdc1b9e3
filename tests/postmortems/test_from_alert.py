"""A SEV-2 from a real alert through paging, acknowledgement and resolution, then its draft.

The alert comes in through the PagerDuty Events API v2 endpoint, its group
declares the incident and pages engineer-b by webhook (the paging tests'
configuration); engineer-b acknowledges from the page's link; the admin
resolves. The draft must carry that story with its real times.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.paging.test_subjects import (
    ack_path,
    integration,
    only_group,
    page_messages,
    send,
    setup,
)
from tests.postmortems.support import (
    API,
    iso,
    move,
    ok,
    postmortem_of,
    serving,
    timeline_texts,
)
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

SEV2 = """
auto_incident_rules:
  database:
    matchers: ['component="db"']
    incident_severity: SEV-2
"""


@pytest.fixture
def api(tocsin: Tocsin, smtp: SmtpSink, sink: HttpSink, tmp_path: Path) -> Iterator[TestClient]:
    setup(tocsin, sink, tmp_path / "config", **{"rules.yaml": SEV2})
    with serving(tocsin) as c:
        yield c


def test_the_draft_tells_the_alert_page_acknowledgement_and_resolution_with_their_times(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    sink: HttpSink,
    clock: FakeClock,
) -> None:
    key = integration(api, admin, "web")
    fired = clock.now()
    send(api, key, "trigger", "db-1", severity="critical")
    tocsin.engine.run_until_idle()
    group = only_group(api, admin)
    reference = f"INC-{group['incident_id']}"
    incident = ok(api.get(f"/api/v1/incidents/{reference}", headers=admin.headers))
    assert incident["severity"] == "SEV-2"

    clock.advance(minutes=4)
    acknowledged = clock.now()
    assert api.post(ack_path(page_messages(sink, "/b")[-1])).status_code == 200
    tocsin.engine.run_until_idle()
    clock.advance(minutes=20)
    move(api, admin, reference, "mitigated")
    clock.advance(minutes=10)
    resolved = clock.now()
    move(api, admin, reference, "resolved")
    tocsin.engine.run_until_idle()

    postmortem = postmortem_of(api, admin, reference)
    assert (postmortem["status"], postmortem["required"]) == ("draft", True)
    assert postmortem["owner"] is None  # nobody took command; Tocsin declared it
    assert postmortem["due_at"] == iso(resolved + timedelta(hours=48))
    document = postmortem["document"]
    assert document["title"] == f"[SEV-2] db-1 broke - {fired.date().isoformat()}"
    assert document["duration"] == "24 minutes"
    assert document["services"] == ["web"]
    facts = document["facts"]
    assert facts["first_page_at"] == iso(fired)
    assert facts["first_acknowledgement"] == {"user": "engineer-b", "at": iso(acknowledged)}
    assert [(p["user"], p["acknowledged_at"]) for p in facts["pages"]] == [
        ("engineer-b", iso(acknowledged))
    ]
    assert [a["summary"] for a in facts["alerts"]] == ["db-1 broke"]
    assert facts["alerts"][0]["first_fired_at"] == iso(fired)
    assert facts["metrics"]["mtta"] == {"seconds": 240, "text": "4 minutes"}
    assert facts["metrics"]["mttr"] == {"seconds": 34 * 60, "text": "34 minutes"}
    assert facts["metrics"]["mttd"]["text"] == "n/a"
    why = [item["why"] for item in document["timeline"]]
    assert why[:1] == ["declaration"]
    assert {"first page", "first acknowledgement", "mitigation"} <= set(why)
    assert why.count("status change") == 2  # taken on, resolved
    shown = ok(api.get(f"{API}/{postmortem['reference']}/timeline", headers=admin.headers))
    assert len(shown) > len(document["timeline"])
    assert sum(entry["selected"] for entry in shown) == len(document["timeline"])

    clock.advance(hours=72)
    tocsin.engine.run_until_idle()
    assert (
        f"Postmortem {postmortem['reference']} is overdue by 1 day: it has no owner to remind"
        in timeline_texts(api, admin, reference)
    )
