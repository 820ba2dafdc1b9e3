"""The console's postmortem page offers the files and publishes the public version on the
status page (then refreshes or withdraws it) through plain forms; a refusal is a page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.console.test_viewer import _log_in
from tests.postmortems.support import outbox_set_up, public_ready, serving
from tocsin.app.service import Tocsin

SEE_OTHER = 303


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    """The app without its engine's threads: the test runs the jobs itself."""
    with serving(tocsin) as c:
        yield c


def test_download_links_publish_publicly_and_withdraw_from_the_console(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    responder: Caller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    refs = public_ready(client, tocsin, admin, responder)
    pm, code = refs["postmortem"], refs["public"]
    token = _log_in(tocsin, client, "cora", "responder")
    export = f"/api/v1/postmortems/{pm}/export?format="

    shown = client.get(f"/postmortems/{pm}").text
    for link in ("markdown", "html", "pdf", "pdf&amp;version=public"):
        assert f'href="{export}{link}"' in shown, link
    assert "Not on the status page." in shown and "Publish publicly" in shown
    assert '<input type="checkbox" name="notify" value="true" checked>' in shown
    assert client.get(f"{export}pdf").headers["content-type"] == "application/pdf"

    made = client.post(
        f"/postmortems/{pm}/public", data={"csrf_token": token}, follow_redirects=False
    )
    assert made.status_code == SEE_OTHER and made.headers["location"] == f"/postmortems/{pm}"
    shown = client.get(f"/postmortems/{pm}").text
    assert f'href="/status/incidents/{code}/postmortem"' in shown
    assert "Refresh on the status page" in shown and "Withdraw from the status page" in shown
    assert '<input type="checkbox" name="notify" value="true">' in shown, "not told: offered"
    assert "subscribers were told" not in shown
    story = client.get(f"/status-page/incidents/{code}").text
    assert f'href="/status/incidents/{code}/postmortem"' in story and "Postmortem" in story

    told = client.post(
        f"/postmortems/{pm}/public",
        data={"csrf_token": token, "notify": "true"},
        follow_redirects=False,
    )
    assert told.status_code == SEE_OTHER
    shown = client.get(f"/postmortems/{pm}").text
    assert "The status page's subscribers were told" in shown and 'name="notify"' not in shown

    gone = client.post(
        f"/postmortems/{pm}/public/withdraw", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == SEE_OTHER
    assert "Not on the status page." in client.get(f"/postmortems/{pm}").text
    refused = client.post(f"/postmortems/{pm}/public/withdraw", data={"csrf_token": token})
    assert refused.status_code == 409 and f"{pm} is not public" in refused.text
    forged = client.post(f"/postmortems/{pm}/public", data={"csrf_token": "forged"})
    assert forged.status_code == 403
