"""A world for the automation tests: a migrated database that really commits, a real queue
(SqliteHuey in a temp dir, or RedisHuey on the test Redis DB), the sandbox HRIS, a test clock.

Two modes: "embedded" (SQLite database, SQLite queue) and "networked" (PostgreSQL when
PEOPLESYNC_TEST_POSTGRES_URL is set, else SQLite; Redis queue on PEOPLESYNC_TEST_REDIS_URL,
default redis://127.0.0.1:6379/15). A missing server skips, unless PEOPLESYNC_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import redis
from cryptography.fernet import Fernet
from huey import signals
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import create_account, get_account
from peoplesync.config import Settings
from peoplesync.connections.service import save_connection
from peoplesync.crypto import SecretBox
from peoplesync.jobs.queue import make_huey
from peoplesync.jobs.runtime import JobTimings, Runtime
from peoplesync.jobs.tasks import Jobs
from peoplesync.runs import service as runs
from peoplesync.runs.hris import HrisContext, refresh_status
from peoplesync.runs.sync import Syncs
from peoplesync.sandbox import SandboxAccount, SandboxServer
from peoplesync.store.db import make_engine, migrate, session_factory, unit_of_work
from peoplesync.store.models import Person, SyncRun
from tests.support import POSTGRES_URL, service_unavailable

REDIS_URL = os.environ.get("PEOPLESYNC_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
START = datetime(2026, 11, 25, 0, 59, tzinfo=UTC)  # 01:59 in Paris
FAST = JobTimings(heartbeat_seconds=0.2, retry_delay_seconds=0.05, retry_backoff=2.0)
T = TypeVar("T")


class Clock:
    """The time the workers see: moved by the test, never slept."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


def wait_for(check: Callable[[], T | None], *, timeout: float = 30.0, what: str = "it") -> T:
    """Poll `check` until it returns something truthy (the consumer works in other threads)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class TaskLog:
    """Which tasks the consumer finished (Huey's own signals), to wait on them."""

    def __init__(self, huey: Any) -> None:
        self._done: list[str] = []
        self._lock = threading.Lock()
        huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)(self._record)

    def _record(self, signal: str, task: Any, *_: Any) -> None:
        with self._lock:
            self._done.append(task.name)

    def count(self, name: str) -> int:
        with self._lock:
            return self._done.count(name)

    def wait(self, name: str, times: int = 1, timeout: float = 60.0) -> None:
        wait_for(lambda: self.count(name) >= times, timeout=timeout, what=f"{times}x {name}")


@dataclass
class Database:
    url: str  # what a subprocess needs to reach the same schema
    engine: Engine
    factory: sessionmaker[Session]


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[Database]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'peoplesync.db'}"
        engine = make_engine(url)
        migrate(engine)
        yield Database(url, engine, session_factory(engine))
        engine.dispose()
        return
    if not POSTGRES_URL:
        service_unavailable("PostgreSQL: PEOPLESYNC_TEST_POSTGRES_URL is not set")
    schema = f"jobs_{secrets.token_hex(4)}"
    try:
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL} does not answer: {err.orig}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    try:
        yield Database(url, engine, session_factory(engine))
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def redis_available() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        service_unavailable(f"Redis at {REDIS_URL} does not answer: {err}")


@dataclass
class World:
    """Settings, database, queue and clock shared by the tests' process and its consumers."""

    mode: str
    settings: Settings
    db: Database
    clock: Clock
    queue_name: str
    box: SecretBox
    timings: JobTimings = FAST
    env: dict[str, str] = field(default_factory=dict)

    @property
    def factory(self) -> sessionmaker[Session]:
        return self.db.factory

    def runtime(self, **overrides: Any) -> Runtime:
        values: dict[str, Any] = {
            "settings": self.settings,
            "factory": self.factory,
            "clock": self.clock,
            "timings": self.timings,
            "box_override": self.box,
        }
        values.update(overrides)
        return Runtime(**values)

    def jobs(self, **overrides: Any) -> Jobs:
        return Jobs(make_huey(self.settings, name=self.queue_name), self.runtime(**overrides))

    def hris(self) -> HrisContext:
        return HrisContext(settings=self.settings, box=self.box, clock=self.clock)

    def account(self, name: str = "Acme", **settings: Any) -> int:
        with unit_of_work(self.factory) as session:
            account = create_account(session, name, now=self.clock())
            for key, value in settings.items():
                setattr(account, key, value)
            session.flush()
            return account.id

    def connect(self, account_id: int, sandbox: SandboxServer, company: SandboxAccount) -> None:
        with unit_of_work(self.factory) as session:
            save_connection(
                session,
                get_account(session, account_id),
                box=self.box,
                base_url=sandbox.base_url,
                api_key=sandbox.api_key,
                account_token=company.account_token,
                linked_account_id=company.linked_account_id,
                now=self.clock(),
            )
        refresh_status(self.factory, account_id, self.hris())  # as `peoplesync connect` does

    def manual_sync(self, account_id: int, *, confirm: bool = False) -> int:
        """A manual HRIS sync in this process, imported: how the directory gets its people."""
        outcome = Syncs.in_process(self.factory, self.hris()).from_hris(
            account_id, trigger="manual", actor="admin@acme.example", replace_waiting=True
        )
        if outcome.state.value == "awaiting_review":
            with unit_of_work(self.factory) as session:
                account = get_account(session, account_id)
                run = runs.get_run(session, account_id, outcome.run_id)
                runs.apply_run(
                    session,
                    account,
                    run,
                    now=self.clock(),
                    actor="admin@acme.example",
                    confirm=confirm,
                )
        return outcome.run_id

    def runs(self, account_id: int) -> list[SyncRun]:
        with unit_of_work(self.factory) as session:
            return list(reversed(runs.list_runs(session, account_id)))

    def run(self, run_id: int) -> SyncRun:
        with unit_of_work(self.factory) as session:
            found = session.get(SyncRun, run_id)
            assert found is not None
            return found

    def directory(self, account_id: int) -> list[tuple[object, ...]]:
        with unit_of_work(self.factory) as session:
            rows = session.execute(
                select(Person.id, Person.status, Person.name, Person.email, Person.end_date)
                .where(Person.account_id == account_id)
                .order_by(Person.id)
            )
            return [tuple(r) for r in rows]

    def people_count(self, account_id: int) -> int:
        with unit_of_work(self.factory) as session:
            return (
                session.scalar(
                    select(func.count()).select_from(Person).where(Person.account_id == account_id)
                )
                or 0
            )

    def flush_queue(self) -> None:
        make_huey(self.settings, name=self.queue_name).flush()


@contextmanager
def make_world(mode: str, tmp_path: Path) -> Iterator[World]:
    queue_name = f"test-{secrets.token_hex(4)}"
    if mode == "networked":
        redis_available()
    db_kind = "postgres" if mode == "networked" and POSTGRES_URL else "sqlite"
    key = Fernet.generate_key().decode()
    values: dict[str, Any] = {
        "database_url": "",
        "queue_backend": "redis" if mode == "networked" else "sqlite",
        "queue_sqlite_path": tmp_path / "queue.db",
        "redis_url": REDIS_URL,
        "secret_key": key,
        "secret_key_file": tmp_path / "secret.key",
        "merge_webhook_key": "merge-signing-key",
        "base_url": "http://peoplesync.test",
        "smtp_host": "",
        "autosync_spread_minutes": 0,  # the fan-out's spread has its own tests
    }
    with database(db_kind, tmp_path) as db:
        values["database_url"] = db.url
        settings = Settings(**values)
        env = {
            "PEOPLESYNC_DATABASE_URL": db.url,
            "PEOPLESYNC_QUEUE_BACKEND": settings.queue_backend,
            "PEOPLESYNC_QUEUE_SQLITE_PATH": str(settings.queue_sqlite_path),
            "PEOPLESYNC_REDIS_URL": REDIS_URL,
            "PEOPLESYNC_SECRET_KEY": key,
        }
        world = World(mode, settings, db, Clock(), queue_name, SecretBox(key.encode()), env=env)
        try:
            yield world
        finally:
            world.flush_queue()
