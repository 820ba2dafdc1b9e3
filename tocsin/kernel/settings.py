"""Process settings: where data lives and which database to use.

Every command that touches the database takes the same settings as
``tocsin serve``: ``--data-dir`` / ``TOCSIN_DATA_DIR`` and
``TOCSIN_DATABASE_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATA_DIR = "tocsin-data"
#: The largest request body accepted unless a setting says otherwise (1 MiB).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: The largest body the API's own endpoints (``/api/v1/...``) accept.
MAX_API_BODY_ENV = "TOCSIN_MAX_API_BODY_BYTES"
#: The largest body the inbound alert endpoints (and inbound mail) accept.
MAX_ALERT_BODY_ENV = "TOCSIN_MAX_ALERT_BODY_BYTES"
HEARTBEAT_METHODS = ("GET", "HEAD", "POST", "PUT")
#: Who may read ``/metrics`` (``TOCSIN_METRICS_ACCESS``): loopback clients or an admin's
#: token; an admin's token only; or anybody who can reach the port.
METRICS_ACCESS = ("loopback", "token", "open")
#: Seconds a status page export's push command may run before it is stopped.
DEFAULT_EXPORT_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class StatusExportSettings:
    """Where the public status pages are also written, and where that copy is pushed.

    ``TOCSIN_STATUS_EXPORT_DIR``: the directory (kept as a link to its latest
    version); ``TOCSIN_STATUS_EXPORT_COMMAND``: a command run with the
    directory as its last argument after each export (``TOCSIN_STATUS_EXPORT_TIMEOUT_SECONDS``);
    ``TOCSIN_STATUS_EXPORT_S3_BUCKET`` (with ``..._S3_PREFIX``, ``..._S3_ENDPOINT`` for
    an S3-compatible store, ``..._S3_REGION``): a bucket the files are copied to,
    with the credentials of the usual ``AWS_*`` variables or files.
    """

    directory: Path | None = None
    command: str | None = None
    timeout_seconds: float = DEFAULT_EXPORT_TIMEOUT_SECONDS
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint: str | None = None
    s3_region: str | None = None
    #: The links' root when the status page configures no ``url`` (``TOCSIN_PUBLIC_URL``).
    public_url: str | None = None

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    @classmethod
    def from_env(cls) -> StatusExportSettings:
        env = os.environ
        directory = env.get("TOCSIN_STATUS_EXPORT_DIR", "").strip()
        command = env.get("TOCSIN_STATUS_EXPORT_COMMAND", "").strip() or None
        bucket = env.get("TOCSIN_STATUS_EXPORT_S3_BUCKET", "").strip() or None
        if not directory and (command or bucket):
            raise ValueError(
                "TOCSIN_STATUS_EXPORT_COMMAND and TOCSIN_STATUS_EXPORT_S3_BUCKET push the "
                "directory TOCSIN_STATUS_EXPORT_DIR names: set it too"
            )
        endpoint = env.get("TOCSIN_STATUS_EXPORT_S3_ENDPOINT", "").strip() or None
        if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
            raise ValueError("TOCSIN_STATUS_EXPORT_S3_ENDPOINT must be an http:// or https:// URL")
        return cls(
            directory=Path(directory) if directory else None,
            command=command,
            timeout_seconds=_seconds(
                "TOCSIN_STATUS_EXPORT_TIMEOUT_SECONDS", DEFAULT_EXPORT_TIMEOUT_SECONDS, 1
            ),
            s3_bucket=bucket,
            s3_prefix=env.get("TOCSIN_STATUS_EXPORT_S3_PREFIX", "").strip().strip("/"),
            s3_endpoint=endpoint,
            s3_region=env.get("TOCSIN_STATUS_EXPORT_S3_REGION", "").strip() or None,
            public_url=env.get("TOCSIN_PUBLIC_URL", "").rstrip("/") or None,
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    #: Extra modules imported at start-up that register job handlers.
    handler_modules: tuple[str, ...] = field(default_factory=tuple)
    #: Seconds a claimed job stays leased to its worker before another may take it.
    job_lease_seconds: float = 60.0
    #: Seconds between engine polls when nothing wakes it sooner.
    engine_poll_seconds: float = 1.0
    #: Cookies marked Secure (turn off only for plain-HTTP local development).
    secure_cookies: bool = True
    #: Test facility: read the current instant from this file (tocsin.kernel.file_clock).
    clock_file: Path | None = None
    #: PostgreSQL: seconds a statement may run before it is cancelled (0: no limit).
    statement_timeout_seconds: float = 30.0
    #: PostgreSQL: seconds a statement may wait for a lock before it gives up (0: no limit).
    lock_timeout_seconds: float = 5.0
    #: ``/readyz`` fails while a job is overdue by more than this many seconds.
    ready_overdue_seconds: float = 60.0
    #: Outbound heartbeat (``tocsin.app.outbound_heartbeat``): pinged while the engine is
    #: healthy; None: off. A secret: never shown in full.
    heartbeat_url: str | None = field(default=None, repr=False)
    heartbeat_interval_seconds: float = 60.0
    heartbeat_method: str = "POST"
    #: Tocsin's address as senders and people reach it (e.g. behind a proxy);
    #: None: the address each request reached.
    public_url: str | None = None
    #: Bytes: larger bodies get 413 on the API's own endpoints (``TOCSIN_MAX_API_BODY_BYTES``).
    max_api_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Bytes: larger bodies get 413 on the inbound alert endpoints, and larger mail is
    #: refused (``TOCSIN_MAX_ALERT_BODY_BYTES``).
    max_alert_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: The static copy of the public status pages (``TOCSIN_STATUS_EXPORT_*``).
    status_export: StatusExportSettings = field(default_factory=StatusExportSettings)
    #: Who may read ``/metrics`` (``TOCSIN_METRICS_ACCESS``, one of :data:`METRICS_ACCESS`).
    metrics_access: str = "loopback"

    @classmethod
    def load(cls, data_dir: Path | str | None = None, database_url: str | None = None) -> Settings:
        directory = Path(data_dir or os.environ.get("TOCSIN_DATA_DIR") or DEFAULT_DATA_DIR)
        url = database_url or os.environ.get("TOCSIN_DATABASE_URL") or ""
        if not url:
            url = f"sqlite:///{directory.resolve() / 'tocsin.db'}"
        modules = tuple(
            m.strip() for m in os.environ.get("TOCSIN_HANDLER_MODULES", "").split(",") if m.strip()
        )
        return cls(
            data_dir=directory,
            database_url=url,
            handler_modules=modules,
            job_lease_seconds=float(os.environ.get("TOCSIN_JOB_LEASE_SECONDS", "60")),
            engine_poll_seconds=float(os.environ.get("TOCSIN_ENGINE_POLL_SECONDS", "1")),
            secure_cookies=os.environ.get("TOCSIN_INSECURE_COOKIES", "") != "1",
            clock_file=Path(os.environ["TOCSIN_CLOCK_FILE"])
            if os.environ.get("TOCSIN_CLOCK_FILE")
            else None,
            statement_timeout_seconds=_seconds("TOCSIN_DATABASE_STATEMENT_TIMEOUT_SECONDS", 30, 0),
            lock_timeout_seconds=_seconds("TOCSIN_DATABASE_LOCK_TIMEOUT_SECONDS", 5, 0),
            ready_overdue_seconds=_seconds("TOCSIN_READY_OVERDUE_SECONDS", 60, 1),
            heartbeat_url=_heartbeat_url(),
            heartbeat_interval_seconds=_seconds("TOCSIN_HEARTBEAT_INTERVAL_SECONDS", 60, 1),
            heartbeat_method=_choice("TOCSIN_HEARTBEAT_METHOD", "POST", HEARTBEAT_METHODS),
            public_url=os.environ.get("TOCSIN_PUBLIC_URL", "").rstrip("/") or None,
            max_api_body_bytes=_byte_count(MAX_API_BODY_ENV),
            max_alert_body_bytes=_byte_count(MAX_ALERT_BODY_ENV),
            status_export=StatusExportSettings.from_env(),
            metrics_access=_choice(
                "TOCSIN_METRICS_ACCESS", "loopback", METRICS_ACCESS, normal=str.lower
            ),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def redacted_url(self) -> str:
        """The database URL with any password hidden, for logs and errors."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)


def _seconds(name: str, default: float, minimum: float) -> float:
    """A number of seconds from the environment variable ``name``, at least ``minimum``."""
    given = os.environ.get(name, "").strip()
    if not given:
        return default
    try:
        value = float(given)
    except ValueError:
        value = float("nan")
    if not value >= minimum or value == float("inf"):
        raise ValueError(f"{name} must be a number of seconds, at least {minimum:g}; got {given!r}")
    return value


def _byte_count(name: str) -> int:
    """A body limit from ``name``: a positive whole number of bytes.

    Lenient, unlike the other settings, as these two always were: any other
    value means the default.
    """
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdecimal() and int(value) > 0 else DEFAULT_MAX_BODY_BYTES


def _choice(
    name: str, default: str, choices: tuple[str, ...], *, normal: Callable[[str], str] = str.upper
) -> str:
    """``name``'s value in its ``normal`` case, which must be one of ``choices``."""
    value = normal(os.environ.get(name, "").strip()) or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _heartbeat_url() -> str | None:
    """``TOCSIN_HEARTBEAT_URL``, checked without ever repeating it (it is a secret)."""
    url = os.environ.get("TOCSIN_HEARTBEAT_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("TOCSIN_HEARTBEAT_URL must be an http:// or https:// URL with a host")
    return url
