"""The static export: every public page as files, so a copy served elsewhere outlives Tocsin.

Each change a reader could see (an update, a component's status, a
maintenance moving on, the status page's configuration) queues a
``statuspage.export`` job in its own transaction. The job renders every
public page (the main one at the directory's root, each other public page in
``<slug>/``; private pages are never exported) from the same snapshot code
the live server uses: ``index.html``, ``history/index.html`` and one
``history/YYYY-MM.html`` per month of :data:`~tocsin.statuspage.public_routes.HISTORY_MONTHS`,
``incidents/<code>.html`` (and ``incidents/<code>/postmortem.html`` for an incident
whose postmortem is public), the eight ``api/v2/*.json`` documents (the bytes
the server answers), ``history.atom``, ``history.rss``, and ``assets/``.

The directory (``TOCSIN_STATUS_EXPORT_DIR``) is a symbolic link to its latest
version, a sibling directory: a new version is written completely, then the
link is swapped for one pointing at it in one ``rename``, so a reader never
sees half a page. The previous version stays until the next swap, for
readers that were half-way through it. Then the directory may be pushed
(:mod:`tocsin.statuspage.export_push`): a command, an S3-compatible bucket.

The job is queued by :mod:`tocsin.statuspage.exporting`, which coalesces a
burst of changes into one or two exports and keeps a refresh every five
minutes. An export that renders what is already there writes nothing and
pushes nothing again.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from tocsin.db.database import Database
from tocsin.domain.refusals import NotFound
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.kernel.settings import StatusExportSettings
from tocsin.statuspage import components, export_push, feeds, public_pages, reading
from tocsin.statuspage.audiences import MAIN, Audience, audiences
from tocsin.statuspage.config_schema import StatusPageSettings
from tocsin.statuspage.exporting import EXPORT, Export, queue
from tocsin.statuspage.public_routes import ASSETS, DOCUMENTS, HISTORY_MONTHS
from tocsin.statuspage.statuspage_api import Shapes

log = logging.getLogger("tocsin.statuspage.export")

#: Files whose bytes change with every rendering (the feeds' build time): not in the digest.
UNSTABLE = frozenset({"history.atom", "history.rss"})

#: How long a replaced version stays, for readers still reading it (its files vanish then).
GRACE_SECONDS = 60.0
#: Relative path -> bytes.
Files = dict[str, bytes]


# -- rendering ----------------------------------------------------------------


def exported(settings: StatusPageSettings) -> list[Audience]:
    """The pages anyone may read: private ones (login, an address allow-list) stay home."""
    return [page for page in audiences(settings) if page.access == "public" and not page.allow]


def base_url(settings: StatusPageSettings, public_url: str | None) -> str:
    """The links' root, as the live server makes it when no request says otherwise."""
    if settings.url:
        return settings.url.rstrip("/")
    return (public_url or "").rstrip("/")


def _links(depth: int, page_depth: int) -> public_pages.Links:
    """Relative links from a file ``depth`` folders below its page's own folder."""
    up = "../" * depth
    return public_pages.Links(
        home="", prefix=up, suffix=".html", assets=f"{'../' * (depth + page_depth)}assets"
    )


def document(documents: dict[str, object], name: str) -> bytes:
    """A status API document's bytes, as ``/api/v2/<name>`` answers them."""
    return json.dumps(documents[name], separators=(",", ":")).encode()


def history_months(today: date) -> list[date]:
    """The first days of the months the history links to, this one first."""
    months = [today.replace(day=1)]
    while len(months) < HISTORY_MONTHS:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


def page_files(session: Session, snapshot: reading.Snapshot, base: str) -> Files:
    """One page's files, relative to its own folder."""
    page_depth = 0 if snapshot.audience.slug == MAIN else 1
    documents = Shapes(snapshot, base).documents()
    files: Files = {f"api/v2/{name}": document(dict(documents), name) for name in DOCUMENTS}
    files["history.atom"] = feeds.atom(snapshot, base)
    files["history.rss"] = feeds.rss(snapshot, base)
    files["index.html"] = public_pages.page(snapshot, _links(0, page_depth))
    stories = {story.code: story for story in snapshot.incidents + snapshot.maintenances}
    months = history_months(snapshot.generated_at.astimezone(snapshot.zone).date())
    for first in months:
        told = reading.month(session, snapshot.audience, first, snapshot.zone)
        body = public_pages.history(snapshot, _links(1, page_depth), first, told, months)
        files[f"history/{first:%Y-%m}.html"] = body
        if first == months[0]:
            files["history/index.html"] = body
        for story in told:
            stories.setdefault(story.code, story)
    mentioned = {
        mention.code
        for bar in snapshot.bars.values()
        for day in bar.days
        for mention in day.incidents
    }
    for code in sorted(mentioned - set(stories)):
        try:
            stories[code] = reading.one(session, snapshot.audience, code)
        except NotFound:
            continue
    for code, story in stories.items():
        files[f"incidents/{code}.html"] = public_pages.incident(
            snapshot, _links(1, page_depth), story
        )
        if story.postmortem is not None:
            files[f"incidents/{code}/postmortem.html"] = public_pages.postmortem(
                snapshot, _links(2, page_depth), story
            )
    return files


def render(session: Session, now: datetime, public_url: str | None = None) -> Files:
    """Every public page's files and the assets, relative to the export's root."""
    settings = components.settings(session)
    base = base_url(settings, public_url)
    files: Files = {f"assets/{name}": (public_pages.STATIC / name).read_bytes() for name in ASSETS}
    for page in exported(settings):
        root = "" if page.slug == MAIN else f"{page.slug}/"
        snapshot = reading.snapshot(session, page, settings, now)
        for name, body in page_files(session, snapshot, base).items():
            files[root + name] = body
    return files


def digest(files: Files) -> str:
    """What the files say: equal digests, the same pages (the feeds' build time aside)."""
    hashed = hashlib.sha256()
    for name in sorted(files):
        if name.rsplit("/", 1)[-1] in UNSTABLE:
            continue
        hashed.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return hashed.hexdigest()


# -- writing --------------------------------------------------------------------


class ExportRefused(Exception):
    """The target is a directory Tocsin did not make: it is never replaced."""


@dataclass(frozen=True)
class Written:
    #: The version the target now links to.
    version: Path
    #: Whether this export wrote it (False: the pages were already there).
    changed: bool


def _prefix(target: Path) -> str:
    return f".{target.name}."


def _current(target: Path) -> Path | None:
    """The version ``target`` links to, if it is a link Tocsin made."""
    if not target.is_symlink():
        return None
    found = target.parent / os.readlink(target)
    return found if found.name.startswith(_prefix(target) + "v-") else None


def _clear_plain(target: Path) -> None:
    """Make room for the link: an empty directory goes; anything else is refused."""
    if target.is_symlink() or not target.exists():
        return
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
        return
    raise ExportRefused(
        f"{target} exists and is not an export Tocsin wrote (a link to its latest version): "
        "remove it or name a path that does not exist"
    )


def _stage(parent: Path, target: Path, files: Files) -> Path:
    staging = Path(tempfile.mkdtemp(prefix=_prefix(target) + "tmp-", dir=parent))
    try:
        for name, body in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        staging.chmod(0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _versions(target: Path) -> list[tuple[int, Path]]:
    """The versions next to ``target``, oldest first, with when each was made (ns)."""
    found = []
    for path in target.parent.glob(_prefix(target) + "v-*"):
        made = path.name.rsplit("-", 1)[-1]
        if made.isdecimal():
            found.append((int(made), path))
    return sorted(found)


def _prune(target: Path, current: Path, grace: float) -> None:
    """Remove versions superseded more than ``grace`` seconds ago, and crashed exports' leftovers.

    The one before ``current`` always stays: a reader who looked the link up
    just before the swap finds its files.
    """
    versions = _versions(target)
    now = time.time_ns()
    for (_, path), (successor_made, _) in itertools.pairwise(versions[:-1]):
        if path != current and now - successor_made > grace * 1e9:
            shutil.rmtree(path, ignore_errors=True)
    for path in target.parent.glob(_prefix(target) + "*"):
        name = path.name[len(_prefix(target)) :]
        if name.startswith("link-") and path.is_symlink():
            path.unlink(missing_ok=True)
        elif name.startswith("tmp-") and now - path.stat().st_mtime_ns > grace * 1e9:
            shutil.rmtree(path, ignore_errors=True)


def write(target: Path, files: Files, *, grace: float = GRACE_SECONDS) -> Written:
    """Make ``target`` show ``files``, all at once (call it holding :func:`locked`).

    Versions superseded more than ``grace`` seconds ago are removed.
    """
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_plain(target)
    wanted = digest(files)[:16]
    current = _current(target)
    if current is not None and current.name.startswith(f"{_prefix(target)}v-{wanted}-"):
        return Written(current, changed=False)
    staging = _stage(target.parent, target, files)
    version = target.parent / f"{_prefix(target)}v-{wanted}-{time.time_ns()}"
    staging.rename(version)
    link = target.parent / f"{_prefix(target)}link-{secrets.token_hex(6)}"
    os.symlink(version.name, link)
    os.replace(link, target)
    _prune(target, version, grace)
    return Written(version, changed=True)


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """One export of ``target`` at a time, across this host's processes."""
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{_prefix(target)}lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pushed_marker(target: Path) -> Path:
    return target.absolute().parent / f"{_prefix(target)}pushed"


def _pushed(target: Path) -> str:
    try:
        return _pushed_marker(target).read_text().strip()
    except FileNotFoundError:
        return ""


def _mark_pushed(target: Path, version: Path) -> None:
    marker = _pushed_marker(target)
    partial = marker.with_name(marker.name + ".new")
    partial.write_text(version.name)
    os.replace(partial, marker)


@dataclass(frozen=True)
class Outcome:
    written: Written
    #: Whether the version was pushed by this export (False: nothing to push, or done before).
    pushed: bool
    files: int


def export(
    database: Database,
    now: datetime,
    target: Path,
    configured: StatusExportSettings | None = None,
) -> Outcome:
    """Render the public pages into ``target`` and, if ``configured`` says so, push them.

    A failed push raises :class:`~tocsin.statuspage.export_push.PushFailed`;
    the pages are written all the same, and the next export pushes them.
    """
    settings = configured or StatusExportSettings()
    with locked(target):
        with database.sessions() as session:
            files = render(session, now, settings.public_url)
        written = write(target, files)
        if not export_push.wanted(settings) or _pushed(target) == written.version.name:
            return Outcome(written, pushed=False, files=len(files))
        export_push.push(settings, written.version, files)
        _mark_pushed(target, written.version)
    return Outcome(written, pushed=True, files=len(files))


# -- the job --------------------------------------------------------------------


def export_job(ctx: JobContext, payload: Export) -> None:
    """The ``statuspage.export`` job: write (and push) the pages, then queue the refresh."""
    configured = StatusExportSettings.from_env()
    if configured.directory is None:
        with ctx.transaction():
            return
    try:
        outcome = export(ctx.database, ctx.clock.now(), configured.directory, configured)
    except (export_push.PushFailed, ExportRefused, OSError) as error:
        log.warning("status page export to %s failed: %s", configured.directory, error)
        raise
    log.info(
        "status page export (%s): %s %s files%s",
        payload.cause,
        "wrote" if outcome.written.changed else "unchanged,",
        outcome.files,
        ", pushed" if outcome.pushed else "",
    )
    with ctx.transaction() as session:
        queue(session, ctx.clock.now(), cause="refresh")


def register(registry: HandlerRegistry) -> None:
    registry.register(EXPORT, export_job)
