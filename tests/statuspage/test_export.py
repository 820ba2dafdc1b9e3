"""The static export: the same story as the live server, written at once, pushed, retried."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import feedparser
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from tests.alerts.support import configure
from tests.conftest import Caller
from tests.statuspage.support import CONFIG, declare, ok, publish, set_up
from tocsin.app.cli import app as cli
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine import jobs
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import StatusExportSettings
from tocsin.statuspage import export, export_push
from tocsin.statuspage.exporting import EXPORT, REFRESH_SECONDS
from tocsin.statuspage.public_routes import DOCUMENTS

URL = "https://status.example.com"
CONFIGURED_URL = f"  url: {URL}\n"
#: Runs as the push command: records its last argument and what that directory held.
RECORDER = """
import json, pathlib, sys
record, directory = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[-1])
if len(sys.argv) > 3 and not pathlib.Path(sys.argv[2]).exists():
    pathlib.Path(sys.argv[2]).write_text("failed once")
    print("the mirror is unreachable")
    sys.exit(3)
runs = json.loads(record.read_text()) if record.exists() else []
files = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
runs.append({"directory": str(directory), "files": files})
record.write_text(json.dumps(runs))
"""


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    """The API, without the engine's own threads: the test runs the jobs."""
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "export" / "site"
    monkeypatch.setenv("TOCSIN_STATUS_EXPORT_DIR", str(target))
    return target


def _recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, fail_once: bool) -> Path:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    record = tmp_path / "runs.json"
    flag = f" {tmp_path / 'failed-once'}" if fail_once else ""
    monkeypatch.setenv("TOCSIN_STATUS_EXPORT_COMMAND", f"{sys.executable} {script} {record}{flag}")
    return record


def _runs(record: Path) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(record.read_text()) if record.exists() else []
    return found


def _export_jobs(tocsin: Tocsin) -> list[Job]:
    with tocsin.database.sessions() as session:
        return list(jobs.list_jobs(session, kind=EXPORT.name, limit=100).rows)


def _run_exports(tocsin: Tocsin, clock: FakeClock) -> None:
    """Let the change's window close and settle, then run what is due."""
    tocsin.engine.run_until_idle()
    clock.advance(timedelta(seconds=4))
    tocsin.engine.run_until_idle()


def _publish(
    client: TestClient, caller: Caller, components: dict[str, str] | None = None
) -> tuple[str, str]:
    reference = declare(client, caller)
    client.post(
        f"/api/v1/incidents/{reference}/notes",
        json={"text": "INTERNAL-MARKER db-7 is swapping", "kind": "observation"},
        headers=caller.headers,
    )
    public = publish(
        client,
        caller,
        reference,
        {
            "name": "Checkout errors",
            "body": "We are investigating failed payments.",
            "components": {"Checkout": "major_outage", "Payments API": "partial_outage"}
            if components is None
            else components,
        },
    )
    return reference, str(public["id"])


def _all_files(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_the_export_tells_the_same_story_as_the_live_server(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    clock: FakeClock,
    site: Path,
    tmp_path: Path,
) -> None:
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    _, code = _publish(client, responder)
    _run_exports(tocsin, clock)

    for name in DOCUMENTS:
        assert (site / "api/v2" / name).read_bytes() == client.get(f"/api/v2/{name}").content
        partner = f"/status/partners/api/v2/{name}"
        assert (site / "partners/api/v2" / name).read_bytes() == client.get(partner).content
    summary = json.loads((site / "api/v2/summary.json").read_bytes())
    assert [incident["id"] for incident in summary["incidents"]] == [code]
    assert summary["incidents"][0]["shortlink"] == f"{URL}/status/incidents/{code}"

    page = (site / "index.html").read_text()
    assert "Checkout errors" in page and "We are investigating failed payments." in page
    assert "Checkout errors" in (site / "partners/index.html").read_text()
    story = (site / f"incidents/{code}.html").read_text()
    assert "We are investigating failed payments." in story
    month = f"{clock.now():%Y-%m}"
    assert "Checkout errors" in (site / f"history/{month}.html").read_text()
    current = (site / f"history/{month}.html").read_bytes()
    assert (site / "history/index.html").read_bytes() == current
    assert len(list((site / "history").glob("????-??.html"))) == 12
    for feed in ("history.atom", "history.rss"):
        live, copy = feedparser.parse(client.get(f"/{feed}").content), feedparser.parse(site / feed)
        assert not copy.bozo, copy.bozo_exception
        assert [e.title for e in copy.entries] == [e.title for e in live.entries]
        assert [e.link for e in copy.entries] == [f"{URL}/status/incidents/{code}"]
    css = client.get("/status-assets/status.css").content
    assert (site / "assets/status.css").read_bytes() == css
    assert not (site / "staff").exists()  # private pages stay home


def test_every_link_in_the_exported_pages_leads_to_an_exported_file(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    clock: FakeClock,
    site: Path,
    tmp_path: Path,
) -> None:
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    _publish(client, responder)
    _run_exports(tocsin, clock)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 2 * (1 + 1 + 12 + 1)  # main and partners: page, history, incident
    checked = 0
    for page in pages:
        for link in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            if link.startswith(("https://", "http://", "#")):
                continue
            assert (page.parent / link).resolve().is_file(), f"{page}: {link}"
            checked += 1
    assert checked > 300


def test_nothing_internal_reaches_the_exported_files(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    admin: Caller,
    clock: FakeClock,
    site: Path,
    tmp_path: Path,
) -> None:
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    reference, code = _publish(client, responder)
    role = {"role": "communications_lead", "user": responder.name}
    ok(client.post(f"/api/v1/incidents/{reference}/roles", json=role, headers=admin.headers))
    ok(
        client.post(
            f"/api/v1/status-page/incidents/{code}/updates",
            json={"status": "identified", "body": "A faulty deploy; rolling back."},
            headers=responder.headers,
        ),
        201,
    )
    _run_exports(tocsin, clock)
    files = _all_files(site)
    assert "A faulty deploy; rolling back." in files["index.html"].decode()
    markers = ("INTERNAL-MARKER", "Payments failing", reference, "rex@example.com", "testserver")
    for name, body in files.items():
        text = body.decode()
        assert not [marker for marker in markers if marker in text], name


def test_a_burst_of_changes_is_exported_once_and_then_refreshed(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    clock: FakeClock,
    site: Path,
    tmp_path: Path,
) -> None:
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    clock.set(clock.now().replace(second=10, microsecond=0))
    for status in ("degraded_performance", "partial_outage", "major_outage", "operational"):
        ok(
            client.put(
                "/api/v1/status-page/components/Search",
                json={"status": status},
                headers=responder.headers,
            )
        )
    queued = _export_jobs(tocsin)
    assert len(queued) == 1 and queued[0].state == jobs.PENDING
    assert not site.exists()

    _run_exports(tocsin, clock)
    summary = json.loads((site / "api/v2/summary.json").read_bytes())
    assert {c["name"]: c["status"] for c in summary["components"]}["Search"] == "operational"
    assert summary["page"]["updated_at"].startswith(f"{clock.now():%Y-%m-%dT%H:%M}")
    ran, refresh = sorted(_export_jobs(tocsin), key=lambda job: job.id)
    assert ran.state == jobs.DONE and refresh.state == jobs.PENDING
    assert refresh.payload == {"cause": "refresh"}
    assert refresh.run_at.replace(tzinfo=None) > (clock.now() + timedelta(seconds=200)).replace(
        tzinfo=None
    )
    version = site.resolve()
    clock.advance(timedelta(seconds=REFRESH_SECONDS))
    tocsin.engine.run_until_idle()
    assert site.resolve() == version  # nothing changed: nothing written


def test_a_configuration_change_is_exported(
    tocsin: Tocsin, clock: FakeClock, site: Path, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    _run_exports(tocsin, clock)
    assert "Acme status" in (site / "index.html").read_text()
    renamed = CONFIG.replace("Acme status", "Acme health") + CONFIGURED_URL
    configure(tocsin, tmp_path, {"org.yaml": renamed})
    tocsin.engine.run_until_idle()
    _run_exports(tocsin, clock)
    assert "Acme health" in (site / "index.html").read_text()


def test_the_directory_is_swapped_whole_and_readers_never_see_half_of_it(
    tmp_path: Path,
) -> None:
    target = tmp_path / "site"
    versions = [
        {"index.html": f"<p>version {n}</p>".encode() * 2000, f"incidents/{n}.html": b"x"}
        for n in range(40)
    ]
    first = export.write(target, versions[0])
    assert first.changed and target.is_symlink() and target.resolve() == first.version
    seen: list[bytes] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append((target / "index.html").read_bytes())
            except BaseException as error:
                failures.append(error)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for files in versions[1:]:
            assert export.write(target, files).changed  # superseded versions kept 60 s
    finally:
        stop.set()
        reader.join()
    assert not failures
    assert seen and set(seen) <= {files["index.html"] for files in versions}
    assert (target / "index.html").read_bytes() == versions[-1]["index.html"]
    assert sorted(target.iterdir()) == [target / "incidents", target / "index.html"]
    assert len(list(tmp_path.glob(".site.v-*"))) == 40
    assert not export.write(target, versions[-1]).changed
    export.write(target, versions[0], grace=0)
    left = sorted(path.name for path in tmp_path.iterdir())
    assert len(left) == 3 and left[2] == "site"  # the current version, the previous, the link
    assert (target / "index.html").read_bytes() == versions[0]["index.html"]


def test_a_directory_tocsin_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(export.ExportRefused, match="not an export Tocsin wrote"):
        export.write(target, {"index.html": b"page"})
    assert (target / "notes.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export.write(empty, {"index.html": b"page"}).changed
    assert (empty / "index.html").read_bytes() == b"page"


def test_the_command_gets_the_directory_and_a_failure_is_retried(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    clock: FakeClock,
    site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = _recorder(tmp_path, monkeypatch, fail_once=True)
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    _publish(client, responder, components={})  # no outage: the pages stay the same
    _run_exports(tocsin, clock)
    (failed,) = _export_jobs(tocsin)
    assert failed.state == jobs.PENDING and failed.attempts == 1
    assert "exited with 3: the mirror is unreachable" in (failed.last_error or "")
    assert _runs(record) == []
    assert (site / "index.html").is_file()  # written all the same

    clock.advance(timedelta(hours=1))
    tocsin.engine.run_until_idle()
    (run,) = _runs(record)
    assert run["directory"] == str(site.resolve())
    assert "index.html" in run["files"] and "api/v2/summary.json" in run["files"]  # type: ignore[operator]
    states = sorted(job.state for job in _export_jobs(tocsin))
    assert states == [jobs.DONE, jobs.PENDING]  # the change's, then the refresh

    clock.advance(timedelta(seconds=REFRESH_SECONDS))
    tocsin.engine.run_until_idle()
    assert len(_runs(record)) == 1  # the same pages are not pushed twice


def test_a_command_that_hangs_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(export_push.PushFailed, match=r"stopped after 0\.5 s"):
        # A child process that hangs stands for a push command that never ends.
        hanging = f"{sys.executable} -c 'import time; time.sleep(60)'"  # allowed: not domain time
        export_push.run_command(hanging, tmp_path, 0.5)


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real S3-compatible server on 127.0.0.1 (moto's), with an empty bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "tocsin-test",
        "AWS_SECRET_ACCESS_KEY": "tocsin-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TOCSIN_STATUS_EXPORT_S3_BUCKET": "status-copy",
        "TOCSIN_STATUS_EXPORT_S3_PREFIX": "public",
        "TOCSIN_STATUS_EXPORT_S3_ENDPOINT": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="status-copy")
    try:
        yield endpoint
    finally:
        server.stop()


def test_the_export_is_copied_to_an_s3_compatible_bucket(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    clock: FakeClock,
    site: Path,
    bucket: str,
    tmp_path: Path,
) -> None:
    store = boto3.client("s3", endpoint_url=bucket)
    store.put_object(Bucket="status-copy", Key="public/incidents/gone.html", Body=b"old")
    store.put_object(Bucket="status-copy", Key="elsewhere.txt", Body=b"not ours")
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    _, code = _publish(client, responder)
    _run_exports(tocsin, clock)

    listed = store.list_objects_v2(Bucket="status-copy")["Contents"]
    keys = {item["Key"] for item in listed}
    assert keys == {f"public/{name}" for name in _all_files(site)} | {"elsewhere.txt"}
    summary = store.get_object(Bucket="status-copy", Key="public/api/v2/summary.json")
    assert summary["ContentType"] == "application/json"
    assert summary["Body"].read() == client.get("/api/v2/summary.json").content
    story = store.get_object(Bucket="status-copy", Key=f"public/incidents/{code}.html")
    assert story["ContentType"] == "text/html; charset=utf-8"
    atom = store.get_object(Bucket="status-copy", Key="public/history.atom")
    assert atom["ContentType"] == "application/atom+xml"

    configured = StatusExportSettings.from_env()
    assert export_push.push_s3(configured, _all_files(site)) == 0  # the bucket has them all


def test_tocsin_status_export_writes_the_pages(
    tocsin: Tocsin,
    client: TestClient,
    responder: Caller,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_up(tocsin, tmp_path, CONFIGURED_URL)
    _, code = _publish(client, responder)
    # The command draws the pages at the server's clock: the test's, through a clock file,
    # so that both exports see the same instant (an open outage's uptime grows with time).
    instant = tmp_path / "clock"
    instant.write_text(clock.now().isoformat())
    monkeypatch.setenv("TOCSIN_CLOCK_FILE", str(instant))
    target = tmp_path / "by-hand"
    url = tocsin.settings.database_url
    result = CliRunner().invoke(cli, ["status", "export", str(target), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "files, written" in result.output
    assert (target / f"incidents/{code}.html").is_file()
    summary = (target / "api/v2/summary.json").read_bytes()
    assert summary == client.get("/api/v2/summary.json").content
    again = CliRunner().invoke(cli, ["status", "export", str(target), "--database-url", url])
    assert again.exit_code == 0 and "files, unchanged" in again.output
