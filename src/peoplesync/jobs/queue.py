"""The Huey queue from the settings, and consumers: `peoplesync worker`, or threads in-process.

    queue_backend = "sqlite"  SqliteHuey at queue_sqlite_path (embedded default, one machine)
    queue_backend = "redis"   RedisHuey at redis_url (many workers on many machines)

Results are not stored: a task's outcome is its run in the database. Huey removes a task from
the queue when a worker takes it, so a restarted consumer picks up what was still waiting; a task
a dead worker had taken is gone, and its run is failed by the reaper.

A task's arguments can be personal data: a CSV upload travels to its worker inside its task. In
the SQLite queue a deleted row stays readable in the file's free pages, and every version of a
page stays in the write-ahead log until a checkpoint resets it. So the embedded queue
(`ScrubbingSqliteStorage`) deletes with `secure_delete` (freed content is overwritten with
zeros) and, each time a worker takes a task, copies the log into the file and truncates it
(`wal_checkpoint(TRUNCATE)`): once its worker has it, no byte of the file is left in the queue's
files. (The file bytes travel in the queue rather than in a row of the app's database because
that database keeps a write-ahead log of its own, and scrubbing it would cost every sync a
checkpoint; the queue's log holds little else, so truncating it is cheap.) The Redis queue keeps
tasks in Redis's memory until taken; its persistence files are the operator's (see Redis's
`appendonly` and `save`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import structlog
from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from peoplesync.config import Settings, settings_env
from peoplesync.errors import ConfigError

QUEUE_NAME = "peoplesync"
log = structlog.get_logger(__name__)


class ScrubbingSqliteStorage(SqliteStorage):  # type: ignore[misc]  # Huey is untyped
    """Huey's SQLite storage that leaves nothing of a taken task on disk (see above)."""

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("PRAGMA secure_delete=ON")
        return conn

    def dequeue(self) -> Any:
        data = super().dequeue()
        if data is not None:
            self.scrub()
        return data

    def scrub(self) -> bool:
        """Copy the log into the file and truncate it; False if a reader kept it (the next
        taken task tries again)."""
        with self.db() as cursor:
            busy, _log_pages, _copied = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("jobs.queue.scrub_deferred", reason="a reader holds the log")
        return not busy


class ScrubbingSqliteHuey(SqliteHuey):  # type: ignore[misc]  # Huey is untyped
    storage_class = ScrubbingSqliteStorage


def make_huey(settings: Settings, *, name: str = QUEUE_NAME) -> Any:
    """A Huey instance (built at start-up, never at import)."""
    if settings.queue_backend == "sqlite":
        path = settings.queue_sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return ScrubbingSqliteHuey(name, filename=str(path), results=False, utc=True)
    if settings.queue_backend == "redis":
        return RedisHuey(name, url=settings.redis_url, results=False, utc=True)
    raise ConfigError(
        f"'{settings.queue_backend}' is not a queue backend.",
        hint="Set PEOPLESYNC_QUEUE_BACKEND to sqlite (embedded) or redis.",
    )


def consumer(huey: Any, *, workers: int = 2, periodic: bool = True) -> Any:
    """A Huey consumer in threads (`run()` blocks and handles SIGINT/SIGTERM)."""
    return Consumer(
        huey,
        workers=workers,
        periodic=periodic,
        worker_type="thread",
        initial_delay=0.05,
        max_delay=1.0,
        check_worker_health=True,
    )


class _QuietConsumer(Consumer):  # type: ignore[misc]  # Huey is untyped
    """A consumer that leaves the host's signal handlers alone (the web app owns them)."""

    def _set_signal_handlers(self) -> None:
        return None


class Background:
    """Work that runs beside this process's own while a `with` block lasts: `start` on entry,
    `stop` (which lets the work at hand finish) on exit."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class InProcessConsumer(Background):
    """Workers and the scheduler as threads of this process (the embedded default, and tests).

    with InProcessConsumer(jobs.huey, workers=2):
        ...  # tasks run in the background until the block ends
    """

    def __init__(self, huey: Any, *, workers: int = 2, periodic: bool = True) -> None:
        self._consumer = _QuietConsumer(
            huey,
            workers=workers,
            periodic=periodic,
            worker_type="thread",
            initial_delay=0.05,
            max_delay=0.5,
            check_worker_health=False,
        )

    def start(self) -> None:
        self._consumer.start()

    def stop(self) -> None:
        """Stop taking tasks; wait for the ones running to finish."""
        self._consumer.stop(graceful=True)


class WorkerProcess(Background):
    """`peoplesync worker` as a child process of the web app, restarted if it dies (the default
    of `serve` and the demo): an import's CPU work then never starves the web server's threads
    (one interpreter lock each). The child reads the same settings from its environment, and
    stops by itself when this process ends without stopping it (killed: see `stop_with_parent`).

    with WorkerProcess(settings):
        ...  # tasks run in the child until the block ends (it finishes the task at hand)
    """

    RESTART_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each restart in a row

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int = 2,
        stop_seconds: float = 60.0,
        log_file: Path | None = None,
        queue: str = QUEUE_NAME,
    ) -> None:
        """`log_file`: where the child's log lines go (appended); None: this process's stderr."""
        self._log_file = log_file
        self._command = [sys.executable, "-m", "peoplesync", "worker", "--workers", str(workers)]
        self._command += ["--queue", queue, "--parent", str(os.getpid())]
        self._env = {**os.environ, **settings_env(settings)}
        self._stop_seconds = stop_seconds
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def _spawn(self) -> None:
        if self._log_file is None:
            sink: Any = None  # inherited
        else:
            sink = self._log_file.open("ab")
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - our own command, no shell
                self._command, env=self._env, stdout=subprocess.DEVNULL, stderr=sink
            )
        finally:
            if sink is not None:
                sink.close()  # the child has its own copy
        log.info("jobs.worker.started", pid=self._proc.pid)

    def _watch(self) -> None:
        in_a_row, born = 0, time.monotonic()
        while not self._stopping.wait(0.5):
            proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            if time.monotonic() - born > 60:  # it lived a while: count its restarts afresh
                in_a_row = 0
            delay = self.RESTART_AFTER[min(in_a_row, len(self.RESTART_AFTER) - 1)]
            log.warning("jobs.worker.died", code=proc.returncode, restart_in=delay)
            if self._stopping.wait(delay):
                return
            in_a_row += 1
            self._spawn()
            self.restarts += 1
            born = time.monotonic()

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def stop(self) -> None:
        """Let the child finish the task at hand (SIGINT), then end it."""
        self._stopping.set()
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=self._stop_seconds)
        except subprocess.TimeoutExpired:
            log.warning("jobs.worker.killed", pid=proc.pid)
            proc.kill()
            proc.wait(timeout=10)


def stop_with_parent(parent: int, *, every: float = 1.0) -> threading.Thread:
    """Interrupt this process (SIGINT: a worker finishes the task at hand, then exits) once its
    parent `parent` is gone, which the parent's own stop does not see when it is killed. The
    check is the parent's id: an orphan is handed to another process."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        log.warning("jobs.worker.orphaned", parent=parent)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=watch, name="parent-watch", daemon=True)
    watcher.start()
    return watcher
