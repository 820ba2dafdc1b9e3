"""The console's messages page: templates drafted and previewed, the summary approved."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.console.test_viewer import _log_in
from tests.statuspage.support import declare, ok, publish, set_up
from tocsin.app.service import Tocsin

SEE_OTHER = 303


def test_templates_are_previewed_and_the_summary_is_approved_once_resolved(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    reference = declare(client, admin)
    publish(client, admin, reference, {"name": "Checkout errors", "body": "Investigating."})
    token = _log_in(tocsin, client, "cora", "admin")
    drafted = client.get(f"/incidents/{reference}/messages?template=no_update").text
    assert "We are still investigating the problem" in drafted
    assert "Drafted once the incident is resolved" in drafted

    shown = client.post(
        f"/incidents/{reference}/messages/preview",
        data={"csrf_token": token, "template": "investigating", "text": "{{ incident.name }}!"},
    )
    assert shown.status_code == 200 and "Checkout errors!" in shown.text
    failed = client.post(
        f"/incidents/{reference}/messages/preview",
        data={"csrf_token": token, "template": "investigating", "text": "{{ nobody }}"},
    )
    assert "The template failed" in failed.text and "nobody" in failed.text

    ok(
        client.post(
            f"/api/v1/incidents/{reference}/status",
            json={"status": "resolved", "reason": "fixed"},
            headers=admin.headers,
        )
    )
    page = client.get(f"/incidents/{reference}/messages").text
    assert "Approve and send" in page and "[To be written" in page
    refused = client.post(
        f"/incidents/{reference}/summary",
        data={"csrf_token": token, "summary": "What happened: [To be written later]"},
    )
    assert refused.status_code == 422 and "write it first" in refused.text
    answer = client.post(
        f"/incidents/{reference}/summary",
        data={"csrf_token": token, "summary": "A bad deploy broke payments; we rolled it back."},
        follow_redirects=False,
    )
    assert answer.status_code == SEE_OTHER, answer.text
    page = client.get(f"/incidents/{reference}/messages").text
    assert "Approved by cora" in page and "we rolled it back" in page
    again = client.post(
        f"/incidents/{reference}/summary", data={"csrf_token": token, "summary": "Again."}
    )
    assert again.status_code == 409
