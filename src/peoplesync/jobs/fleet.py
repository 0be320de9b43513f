"""The operator's view of the fleet (every account on this installation): runs in flight, the
queue's depth, accounts whose syncs keep failing, and runs waiting on Merge's rate limit.

    peoplesync fleet [--json]            the command line
    GET /operator, GET /api/v1/operator/fleet   the web (the operator token, not an account login)

Only what an operator needs to act is shown: account names and run states, never employee data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peoplesync.core.states import ACTIVE_STATES, FINAL_STATES, RunState
from peoplesync.runs.heartbeat import STALE_AFTER, workers_alive
from peoplesync.store.models import Account, SyncRun

RECENT_RUNS = 5  # an account is failing when its latest final runs failed (up to this many)


@dataclass(frozen=True, slots=True)
class InFlight:
    run_id: int
    account_id: int
    account: str
    state: str
    trigger: str
    queued_at: datetime
    heartbeat_at: datetime | None
    fetched: int | None
    rate_limited_seconds: float  # how long this run's fetch has waited on Merge's budget


@dataclass(frozen=True, slots=True)
class Failing:
    account_id: int
    account: str
    failures: int  # consecutive failed runs, the latest first
    last_error: str | None
    last_at: datetime


@dataclass(frozen=True, slots=True)
class FleetView:
    accounts: int
    in_flight: tuple[InFlight, ...]
    failing: tuple[Failing, ...]
    queued_tasks: int  # waiting for a worker now
    scheduled_tasks: int  # waiting for their time (retries, the daily fan-out's spread)
    workers_alive: bool  # some run was stamped by a worker within STALE_AFTER

    @property
    def rate_limited(self) -> tuple[InFlight, ...]:
        return tuple(r for r in self.in_flight if r.rate_limited_seconds > 0)

    @property
    def headline(self) -> tuple[str, str, str]:
        """The counts an operator reads first, in words: accounts, runs in flight, queue."""
        return (
            _counted(self.accounts, "account", "accounts"),
            _counted(len(self.in_flight), "run in flight", "runs in flight"),
            f"queue: {self.queued_tasks} waiting, {self.scheduled_tasks} scheduled",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON's shape (times in ISO 8601)."""
        found = asdict(self)
        for row in (*found["in_flight"], *found["failing"]):
            for key, value in row.items():
                if isinstance(value, datetime):
                    row[key] = value.isoformat()
        found["rate_limited"] = [r.run_id for r in self.rate_limited]
        return found


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def fleet_view(
    session: Session, *, now: datetime, queued_tasks: int, scheduled_tasks: int
) -> FleetView:
    """The fleet as it stands at `now` (the queue's counts come from the caller's queue)."""
    names = dict(session.execute(select(Account.id, Account.name)).all())
    return FleetView(
        accounts=len(names),
        in_flight=tuple(_in_flight(session, names)),
        failing=tuple(_failing(session, names)),
        queued_tasks=queued_tasks,
        scheduled_tasks=scheduled_tasks,
        workers_alive=workers_alive(session, now=now, within=STALE_AFTER),
    )


def _in_flight(session: Session, names: dict[int, str]) -> list[InFlight]:
    active = [s.value for s in ACTIVE_STATES if s is not RunState.AWAITING_REVIEW]
    query = select(SyncRun).where(SyncRun.state.in_(active)).order_by(SyncRun.created_at)
    found = []
    for run in session.scalars(query):
        progress = run.progress or {}
        fetched = progress.get("fetched")
        found.append(
            InFlight(
                run_id=run.id,
                account_id=run.account_id,
                account=names.get(run.account_id, "?"),
                state=str(run.state),
                trigger=run.trigger,
                queued_at=run.created_at,
                heartbeat_at=run.heartbeat_at,
                fetched=int(fetched) if isinstance(fetched, int | float) else None,
                rate_limited_seconds=float(progress.get("rate_limited_seconds") or 0.0),
            )
        )
    return found


def _failing(session: Session, names: dict[int, str]) -> list[Failing]:
    """Accounts whose latest final run failed, with how many in a row (of the last few)."""
    final = [s.value for s in FINAL_STATES]
    rank = (
        func.row_number()
        .over(partition_by=SyncRun.account_id, order_by=SyncRun.id.desc())
        .label("rank")
    )
    recent = (
        select(SyncRun.account_id, SyncRun.state, SyncRun.error, SyncRun.created_at, rank)
        .where(SyncRun.state.in_(final))
        .subquery()
    )
    rows = session.execute(
        select(recent).where(recent.c.rank <= RECENT_RUNS).order_by(recent.c.account_id, "rank")
    ).all()
    streaks: dict[int, list[Any]] = {}
    for account_id, state, error, created_at, _rank in rows:
        streak = streaks.setdefault(account_id, [])
        if len(streak) == _rank - 1 and state == RunState.FAILED.value:
            streak.append((error, created_at))
    failing = [
        Failing(
            account_id=account_id,
            account=names.get(account_id, "?"),
            failures=len(streak),
            last_error=streak[0][0],
            last_at=streak[0][1],
        )
        for account_id, streak in streaks.items()
        if streak
    ]
    return sorted(failing, key=lambda f: (-f.failures, f.account))
