"""What the tasks run with: settings, the database, a clock, and their tuning knobs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

import httpx
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.config import Settings
from peoplesync.crypto import SecretBox, secret_box
from peoplesync.notify.service import Notifier
from peoplesync.runs.heartbeat import STALE_AFTER, UNCLAIMED_AFTER
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.outcome import SyncEnv
from peoplesync.runs.sync import Syncs


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class JobTimings:
    """Tuning knobs of the workers, with their defaults."""

    heartbeat_seconds: float = 10.0  # a working task stamps its run this often
    stale_after: timedelta = STALE_AFTER  # no heartbeat for this long: the worker died
    unclaimed_after: timedelta = UNCLAIMED_AFTER  # queued, and no worker took it up
    lost_after: timedelta = timedelta(minutes=1)  # queued, the queue empty: its task was lost
    max_requeues: int = 3  # a lost HRIS run is enqueued again at most this often
    email_retries: int = 6
    webhook_retries: int = 6
    retry_delay_seconds: float = 30.0  # the first retry; each next one waits `retry_backoff` x
    retry_backoff: float = 2.0


@dataclass(frozen=True)
class Runtime:
    """Everything a task needs. `transport` is the test seam for the HRIS and outgoing webhooks;
    `clock` lets a test decide what time it is (auto-sync schedules, heartbeats)."""

    settings: Settings
    factory: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    transport: httpx.BaseTransport | None = None
    timings: JobTimings = field(default_factory=JobTimings)
    box_override: SecretBox | None = None
    cpu_slots: int | None = None  # syncs planning or importing at once (None: as many as run)

    @cached_property
    def box(self) -> SecretBox:
        return self.box_override or secret_box(self.settings)

    def syncs(self, notifier: Notifier) -> Syncs:
        """The sync use case, telling `notifier`."""
        hris = HrisContext(
            settings=self.settings, box=self.box, transport=self.transport, clock=self.clock
        )
        slots = None if self.cpu_slots is None else threading.BoundedSemaphore(self.cpu_slots)
        env = SyncEnv(
            self.factory,
            hris,
            notifier,
            heartbeat_seconds=self.timings.heartbeat_seconds,
            cpu_slots=slots,
        )
        return Syncs(env)
