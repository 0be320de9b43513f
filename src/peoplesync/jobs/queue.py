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

from types import TracebackType
from typing import Any

import structlog
from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from peoplesync.config import Settings
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


class InProcessConsumer:
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

    def __enter__(self) -> InProcessConsumer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
