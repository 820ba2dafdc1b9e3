"""Pushing the static export elsewhere: a command of your own, or an S3-compatible bucket.

The command (``TOCSIN_STATUS_EXPORT_COMMAND``, split like a shell would but
run without one) gets the version's directory as its last argument, so
``rsync -a --delete`` or ``aws s3 sync`` need no wrapper. It runs at most
``TOCSIN_STATUS_EXPORT_TIMEOUT_SECONDS`` (then it and its children are
killed); a non-zero exit or a time-out fails the export job, which the
engine retries with backoff.

The bucket (``TOCSIN_STATUS_EXPORT_S3_BUCKET``, under
``TOCSIN_STATUS_EXPORT_S3_PREFIX``, at ``TOCSIN_STATUS_EXPORT_S3_ENDPOINT``
for a store other than AWS) gets every file with its content type, the
files it already holds with the same bytes skipped (their ETag is their
MD5), and the keys no longer exported deleted last. Credentials come the
way every AWS client finds them (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, a profile, an instance role).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from tocsin.kernel.settings import StatusExportSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Content types by suffix, as the exported files must be served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".css": "text/css",
    ".js": "text/javascript",
}
#: Readers should see a change within seconds, and a cache in front may keep a file this long.
CACHE_CONTROL = "public, max-age=30"
#: How much of a failed command's output goes into the error.
OUTPUT_TAIL = 2000


class PushFailed(Exception):
    """The command failed or the bucket refused: the export job is retried."""


def wanted(settings: StatusExportSettings) -> bool:
    return bool(settings.command or settings.s3_bucket)


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


def run_command(command: str, directory: Path, timeout: float) -> None:
    """Run ``command`` with ``directory`` as its last argument; raise PushFailed if it fails."""
    argv = [*shlex.split(command), str(directory)]
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as error:
        raise PushFailed(f"cannot run {argv[0]!r}: {error}") from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PushFailed(f"{argv[0]} was stopped after {timeout:g} s") from None
    if process.returncode != 0:
        tail = output.decode(errors="replace")[-OUTPUT_TAIL:].strip()
        raise PushFailed(f"{argv[0]} exited with {process.returncode}: {tail}")


def s3_client(settings: StatusExportSettings) -> S3Client:
    import boto3

    client: S3Client = boto3.client(
        "s3", endpoint_url=settings.s3_endpoint, region_name=settings.s3_region
    )
    return client


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _held(client: S3Client, bucket: str, prefix: str) -> dict[str, str]:
    """The keys under ``prefix`` and their ETags (quotes removed)."""
    held: dict[str, str] = {}
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""
    )
    for page in pages:
        for item in page.get("Contents", []):
            held[item["Key"]] = item.get("ETag", "").strip('"')
    return held


def push_s3(settings: StatusExportSettings, files: dict[str, bytes]) -> int:
    """Copy ``files`` to the bucket and delete what it holds beyond them; files sent."""
    from botocore.exceptions import BotoCoreError, ClientError

    assert settings.s3_bucket is not None
    bucket, prefix = settings.s3_bucket, settings.s3_prefix
    try:
        client = s3_client(settings)
        held = _held(client, bucket, prefix)
        sent = 0
        # Pages last: what they link to is there before they are.
        for name in sorted(files, key=lambda each: (each.endswith(".html"), each)):
            body, key = files[name], _key(prefix, name)
            if held.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                continue
            client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=content_type(name),
                CacheControl=CACHE_CONTROL,
            )
            sent += 1
        stale = sorted(set(held) - {_key(prefix, name) for name in files})
        for start in range(0, len(stale), 1000):
            client.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": key} for key in stale[start : start + 1000]]},
            )
    except (BotoCoreError, ClientError) as error:
        raise PushFailed(f"bucket {bucket}: {error}") from None
    return sent


def push(settings: StatusExportSettings, directory: Path, files: dict[str, bytes]) -> None:
    """Every configured push of the version in ``directory`` (which holds ``files``)."""
    if settings.command:
        run_command(settings.command, directory, settings.timeout_seconds)
    if settings.s3_bucket:
        push_s3(settings, files)
