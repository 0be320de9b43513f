"""What the tasks run with: settings, the database, a clock, and their tuning knobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.config import Settings
from peoplesync.crypto import SecretBox, secret_box
from peoplesync.runs.hris import HrisContext, sync_hris
from peoplesync.runs.service import PlanOutcome


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class JobTimings:
    """Tuning knobs of the workers, with their defaults."""

    heartbeat_seconds: float = 10.0  # a working task stamps its run this often
    stale_after: timedelta = timedelta(minutes=2)  # no heartbeat for this long: the worker died
    unclaimed_after: timedelta = timedelta(hours=1)  # a run no worker ever stamped (e.g. a CLI)
    email_retries: int = 6
    webhook_retries: int = 6
    retry_delay_seconds: float = 30.0  # the first retry; each next one waits `retry_backoff` x
    retry_backoff: float = 2.0


class SyncSource(Protocol):
    """Fetch and plan one account's sync (a run is started inside); the HRIS is the built-in."""

    def __call__(
        self, runtime: Runtime, account_id: int, *, trigger: str, actor: str | None
    ) -> PlanOutcome: ...


def hris_source(
    runtime: Runtime, account_id: int, *, trigger: str, actor: str | None
) -> PlanOutcome:
    """The connected HRIS (Justworks through Merge)."""
    ctx = HrisContext(
        settings=runtime.settings, box=runtime.box, transport=runtime.transport, clock=runtime.clock
    )
    return sync_hris(runtime.factory, account_id, ctx, trigger=trigger, actor=actor)


@dataclass(frozen=True)
class Runtime:
    """Everything a task needs. `transport` is the test seam for the HRIS and outgoing webhooks;
    `clock` lets a test decide what time it is (auto-sync schedules, heartbeats)."""

    settings: Settings
    factory: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    transport: httpx.BaseTransport | None = None
    timings: JobTimings = field(default_factory=JobTimings)
    source: SyncSource = hris_source
    box_override: SecretBox | None = None

    @cached_property
    def box(self) -> SecretBox:
        return self.box_override or secret_box(self.settings)
