"""What the sync use case (`runs.sync`) works with and says of a run: its environment, its
stages, its result, and the admin's words for an error nobody foresaw."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from peoplesync.core.guard import GuardReport
from peoplesync.core.issues import ValidationReport
from peoplesync.core.plan import Plan
from peoplesync.core.states import RunState
from peoplesync.notify.service import Notifier
from peoplesync.runs.hris import HrisContext


@dataclass(frozen=True)
class SyncEnv:
    """What a sync needs beyond its arguments: the database, the HRIS seam (settings, key box,
    transport, clock) and who to tell."""

    factory: sessionmaker[Session]
    hris: HrisContext
    notifier: Notifier
    heartbeat_seconds: float = 10.0
    # A worker's CPU slots: planning and importing take one, reading the source (waiting on
    # Merge, its rate limit included) takes none, so a worker runs more syncs than it has slots
    # and a fetch that waits never keeps another account's planning waiting. None: no limit.
    cpu_slots: threading.Semaphore | None = None

    def clock(self) -> datetime:
        return self.hris.clock()


class Stage(enum.StrEnum):
    READ = "read"
    PLAN = "plan"
    APPLY = "apply"


_DOING = {Stage.READ: "reading the source", Stage.PLAN: "planning", Stage.APPLY: "importing"}


@dataclass(frozen=True, slots=True)
class SyncResult:
    """Where a run stands once the use case is done with it."""

    run_id: int
    state: RunState
    report: ValidationReport = field(default_factory=lambda: ValidationReport(()))
    plan: Plan | None = None  # None when it failed, or validation errors blocked it
    guard: GuardReport = field(default_factory=GuardReport)
    error: str | None = None  # why it failed or expired


def unexpected(stage: Stage, err: BaseException) -> str:
    """An admin message for an error we did not foresee (its text may hold data: not shown)."""
    return (
        f"The sync stopped on an unexpected error while {_DOING[stage]} ({type(err).__name__}); "
        "nothing was imported. Run the sync again; if it fails the same way, contact your "
        "peoplesync operator."
    )
