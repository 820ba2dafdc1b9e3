"""Prefork: ``tocsin serve --workers N`` runs N worker processes on one listening socket.

One Python process runs one core: the event loop, Pydantic and SQLAlchemy all
hold the interpreter lock. So the parent binds the socket and migrates the
database once, then forks the workers before it starts any thread. Each worker
opens its own Tocsin (connection pool, committer, job engine if chosen) and
serves on the inherited socket; the kernel hands each new connection to one of
them. The parent only supervises:

- a worker that dies is forked again, after a delay that doubles while it keeps
  dying before it could serve (0.5 s up to 30 s); after ``max_failed_starts``
  such deaths in a row of one worker the parent stops them all and exits 1,
  since a worker that cannot start (database unreachable, SMTP port taken)
  will not start on the next try either; one that served resets its count;
- SIGTERM or SIGINT stops the workers gracefully (SIGTERM to each: uvicorn
  finishes the requests in flight, the engine its batch), and a second one
  makes them hurry (SIGINT: uvicorn's forced exit); workers still alive after
  ``shutdown_seconds`` are killed.

Workers run in their own process group, so Ctrl-C in a terminal reaches the
parent alone and the workers hear one orderly signal. A worker whose parent
died anyway (``kill -9``) sees its lifeline pipe close and stops itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import click

log = logging.getLogger("tocsin.serve")
#: A worker reports "serving" with its pid, one atomic write on the started pipe.
_STARTED = struct.Struct("!I")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0

#: A worker's body: its index and a function to call once it serves; returns its exit code.
WorkerBody = Callable[[int, Callable[[], None]], int]


@dataclass
class _Slot:
    index: int
    pid: int | None = None
    #: The current process said it serves.
    started: bool = False
    #: Deaths in a row before serving.
    failed_starts: int = 0
    #: When to fork it again (monotonic seconds), if it is waiting to.
    restart_at: float | None = None


class Supervisor:
    """Fork ``count`` workers running ``body`` and keep them running until told to stop."""

    def __init__(
        self,
        count: int,
        body: WorkerBody,
        *,
        shutdown_seconds: float = 30.0,
        max_failed_starts: int = 5,
        first_delay: float = FIRST_DELAY_SECONDS,
    ) -> None:
        self.slots = [_Slot(index) for index in range(count)]
        self.first_delay = first_delay
        self.body = body
        self.shutdown_seconds = shutdown_seconds
        self.max_failed_starts = max_failed_starts
        self._stop_signals = 0
        self._kill_at: float | None = None
        self._gave_up = False

    def run(self) -> int:
        """Supervise until every worker has exited; 0 after a stop signal, 1 if they failed."""
        if threading.active_count() > 1:  # a thread would be copied into every worker, stopped
            raise RuntimeError("prefork: fork the workers before starting any thread")
        self._wake_r, self._wake_w = _pipe()
        self._started_r, self._started_w = _pipe()
        self._lifeline_r, self._lifeline_w = os.pipe()
        signal.set_wakeup_fd(self._wake_w)
        previous = {sig: signal.signal(sig, _ignore) for sig in (*_STOP_SIGNALS, signal.SIGCHLD)}
        try:
            for slot in self.slots:
                self._fork(slot)
            while any(slot.pid is not None for slot in self.slots) or self._restarts_pending():
                self._wait()
                self._reap()
                self._tick()
        finally:
            signal.set_wakeup_fd(-1)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for fd in (self._wake_r, self._wake_w, self._started_r, self._started_w):
                os.close(fd)
            os.close(self._lifeline_r)
            os.close(self._lifeline_w)
        return 1 if self._gave_up else 0

    # -- the loop ----------------------------------------------------------

    def _restarts_pending(self) -> bool:
        return not self._stopping and any(s.restart_at is not None for s in self.slots)

    @property
    def _stopping(self) -> bool:
        return self._stop_signals > 0 or self._gave_up

    def _wait(self) -> None:
        """Sleep until a signal, a started report, or the next restart or kill is due."""
        deadlines = [s.restart_at for s in self.slots if s.restart_at is not None]
        if self._kill_at is not None:
            deadlines.append(self._kill_at)
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        readable, _, _ = select.select([self._wake_r, self._started_r], [], [], timeout)
        if self._wake_r in readable:
            for number in _drain(self._wake_r):
                if number in _STOP_SIGNALS:
                    self._stop(signal.Signals(number))
        if self._started_r in readable:
            data = _drain(self._started_r)
            usable = len(data) - len(data) % _STARTED.size
            for (pid,) in _STARTED.iter_unpack(data[:usable]):
                for slot in self.slots:
                    if slot.pid == pid:
                        slot.started, slot.failed_starts = True, 0

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            slot = next((s for s in self.slots if s.pid == pid), None)
            if slot is not None:
                self._exited(slot, os.waitstatus_to_exitcode(status))

    def _exited(self, slot: _Slot, code: int) -> None:
        slot.pid = None
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        if self._stopping:  # uvicorn ends by raising the SIGTERM it handled: not news
            stopped = code in (0, -signal.SIGTERM, -signal.SIGINT)
            log.log(logging.INFO if stopped else logging.WARNING, "worker %d %s", slot.index, how)
            return
        if slot.started:
            slot.failed_starts = 0
        else:
            slot.failed_starts += 1
        if slot.failed_starts >= self.max_failed_starts:
            log.error(
                "worker %d %s before serving, %d times in a row: stopping",
                slot.index,
                how,
                slot.failed_starts,
            )
            self._gave_up = True
            self._signal_all(signal.SIGTERM)
            self._kill_at = time.monotonic() + self.shutdown_seconds
            return
        delay = min(MAX_DELAY_SECONDS, self.first_delay * 2 ** max(0, slot.failed_starts - 1))
        log.warning("worker %d %s; starting it again in %g s", slot.index, how, delay)
        slot.restart_at = time.monotonic() + delay

    def _tick(self) -> None:
        now = time.monotonic()
        if self._kill_at is not None and now >= self._kill_at:
            log.warning("workers still running %g s after the stop: killing", self.shutdown_seconds)
            self._signal_all(signal.SIGKILL)
            self._kill_at = None
        for slot in self.slots:
            if slot.restart_at is None:
                continue
            if self._stopping:
                slot.restart_at = None
            elif now >= slot.restart_at:
                self._fork(slot)

    def _stop(self, received: signal.Signals) -> None:
        self._stop_signals += 1
        if self._stop_signals == 1:
            log.info("%s: stopping the workers", received.name)
            self._signal_all(signal.SIGTERM)
            self._kill_at = time.monotonic() + self.shutdown_seconds
        else:  # uvicorn takes a SIGINT after a SIGTERM as "stop now"
            self._signal_all(signal.SIGINT)

    def _signal_all(self, sig: signal.Signals) -> None:
        for slot in self.slots:
            if slot.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # exited, not reaped yet
                    os.kill(slot.pid, sig)

    # -- a worker ----------------------------------------------------------

    def _fork(self, slot: _Slot) -> None:
        slot.restart_at, slot.started = None, False
        pid = os.fork()
        if pid:
            slot.pid = pid
            log.info("worker %d started (pid %d)", slot.index, pid)
            return
        os._exit(self._worker(slot.index))  # pragma: no cover - runs in the child

    def _worker(self, index: int) -> int:  # pragma: no cover - runs in the child
        """The child's life: undo the parent's signal set-up, run the body, return its code."""
        code = 1
        try:
            os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            for sig in (*_STOP_SIGNALS, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            for fd in (self._wake_r, self._wake_w, self._started_r, self._lifeline_w):
                os.close(fd)
            threading.Thread(
                target=_watch_parent, args=(self._lifeline_r,), name="tocsin-lifeline", daemon=True
            ).start()
            started = self._started_w

            def report_started() -> None:
                os.write(started, _STARTED.pack(os.getpid()))

            code = self.body(index, report_started)
        except click.exceptions.Exit as exit_:  # tocsin.cli.common.fail: already printed
            code = exit_.exit_code
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return code


def _watch_parent(lifeline: int) -> None:  # pragma: no cover - runs in the child
    """Stop this worker when the parent is gone (its end of the pipe closed)."""
    while os.read(lifeline, 1):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def _ignore(_signum: int, _frame: object) -> None:
    """Installed so that the signal reaches the wake-up pipe; the loop reads it there."""


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    return read, write


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
