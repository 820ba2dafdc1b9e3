"""Series that add up across the processes of ``tocsin serve --workers N``.

Each worker counts what it does; the one that answers a scrape must answer
for all of them. prometheus_client's multiprocess mode does that: every
process writes its values to memory-mapped files in the directory named by
``PROMETHEUS_MULTIPROC_DIR``, and a scrape sums the files of every process
that ever wrote there this run, so a counter does not go back when a worker
dies and is forked again. Only counters and histograms are kept there: the
gauges are read from the database at scrape time, the same in every process.

The library chooses its storage when it is first imported and never again,
so :func:`share` runs before that (the parent of the workers calls it before
it opens the database) and this module does not import it.

Each run gets its own directory, ``metrics/serve-<pid>`` under the data
directory, emptied at the start: several ``tocsin serve`` on one data
directory do not mix their counts, and a run's files are removed by the
first run that starts after it ended.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The variable prometheus_client reads; Tocsin sets it, nobody needs to.
DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Under the data directory: one folder per run of ``tocsin serve --workers N``.
FOLDER = "metrics"
_RUN = "serve-"


def shared_directory() -> Path | None:
    """The directory every process of this run writes its values to; None in one process."""
    value = os.environ.get(DIRECTORY_ENV)
    return Path(value) if value else None


@contextmanager
def shared(data_dir: Path) -> Iterator[Path]:
    """Count in a directory of this run's own, for the processes forked in the block.

    Runs before prometheus_client is imported (it raises otherwise: the
    counts would silently stay in each process). The directory is removed
    when the block ends.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError(
            "prometheus_client was imported before the processes' shared directory was set: "
            "their counts would not add up"
        )
    runs = data_dir / FOLDER
    runs.mkdir(parents=True, exist_ok=True)
    for stale in runs.glob(f"{_RUN}*"):
        if not _running(stale.name.removeprefix(_RUN)):
            shutil.rmtree(stale, ignore_errors=True)
    directory = runs / f"{_RUN}{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    previous = os.environ.get(DIRECTORY_ENV)
    os.environ[DIRECTORY_ENV] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(DIRECTORY_ENV, None)
        else:
            os.environ[DIRECTORY_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)


def _running(pid: str) -> bool:
    """Whether the process ``pid`` (a run's parent) still runs here."""
    if not pid.isdecimal():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: not ours to clean up after
        return True
    return True
