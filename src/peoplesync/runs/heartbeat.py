"""Heartbeats and the reaper: a run whose worker died is failed, never left active.

A task stamps `heartbeat_at` on its account's active run every few seconds, from a thread of its
own and in short transactions of its own. The reaper (a periodic task) fails the runs still in a
working state whose last stamp is older than `stale_after`, and those no worker ever stamped
after `unclaimed_after` while no worker shows life (no run anywhere stamped within
`stale_after`): while workers work through a long queue (the daily fan-out of a fleet), a queued
run waits its turn. An automated run waiting between its plan and its apply counts as working; a
manual run awaiting review does not (it waits for a person, and expires on its own).

A queued run whose task the queue no longer holds (the queue is empty, yet the run was never
taken up: a Redis restart loses what it held) is `lost_runs`: the jobs layer enqueues an HRIS
run again and fails a file's (its bytes were only in the queue).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.core.states import ACTIVE_STATES, RunState
from peoplesync.runs.service import AUTOMATED_TRIGGERS, fail_run
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import SyncRun

log = structlog.get_logger(__name__)

STALE_AFTER = timedelta(minutes=2)  # a working run without a heartbeat this long: its worker died
UNCLAIMED_AFTER = timedelta(minutes=10)  # a queued run no worker took up this long
WORKING_STATES = (
    RunState.QUEUED.value,
    RunState.FETCHING.value,
    RunState.PLANNING.value,
    RunState.APPLYING.value,
)
_ACTIVE = [s.value for s in ACTIVE_STATES]
FIRST_STAMP_SECONDS = 1.0


class Heartbeat:
    """`with Heartbeat(...) as beat:` stamps the account's active run until the block ends.

    Before the task knows its run (a sync starts it inside), the stamp goes to the account's run
    in a working state; once `beat.run_id` is set, only to that run.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        account_id: int,
        *,
        clock: Callable[[], datetime],
        interval: float,
        run_id: int | None = None,
    ) -> None:
        self.factory = factory
        self.account_id = account_id
        self.clock = clock
        self.interval = interval
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=max(self.interval, 1.0) + 30.0)

    def _loop(self) -> None:
        stamped = False
        while True:
            stamped = self.beat() or stamped
            # Until the task's run exists (a sync starts it inside), look for it every second.
            wait = self.interval if stamped else min(self.interval, FIRST_STAMP_SECONDS)
            if self._stop.wait(wait):
                return

    def beat(self) -> bool:
        """Stamp the run now; True when a run was stamped."""
        stmt = update(SyncRun).where(SyncRun.account_id == self.account_id)
        if self.run_id is None:  # the run the task is starting: in a working state
            stmt = stmt.where(SyncRun.state.in_(WORKING_STATES))
        else:
            stmt = stmt.where(SyncRun.id == self.run_id, SyncRun.state.in_(_ACTIVE))
        try:
            with unit_of_work(self.factory) as session:
                result = session.execute(
                    stmt.values(heartbeat_at=self.clock()),
                    execution_options={"synchronize_session": False},
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except Exception as err:  # a missed beat is retried next time; the task goes on
            log.warning("jobs.heartbeat.failed", account_id=self.account_id, error=str(err)[:200])
            return False


def stale_runs(
    session: Session,
    *,
    now: datetime,
    stale_after: timedelta,
    unclaimed_after: timedelta,
    account_id: int | None = None,
) -> list[SyncRun]:
    """Active runs no live worker holds (see the module docstring); of one account if given."""
    never_claimed = and_(SyncRun.heartbeat_at.is_(None), SyncRun.created_at < now - unclaimed_after)
    if workers_alive(session, now=now, within=stale_after):
        never_claimed = and_(never_claimed, SyncRun.state != RunState.QUEUED.value)
    working = or_(
        SyncRun.state.in_(WORKING_STATES),
        and_(
            SyncRun.state == RunState.AWAITING_REVIEW.value,
            SyncRun.trigger.in_(sorted(AUTOMATED_TRIGGERS)),
        ),
    )
    silent = or_(
        and_(SyncRun.heartbeat_at.is_not(None), SyncRun.heartbeat_at < now - stale_after),
        never_claimed,
    )
    query = select(SyncRun).where(working, silent)
    if account_id is not None:
        query = query.where(SyncRun.account_id == account_id)
    return list(session.scalars(query.order_by(SyncRun.id).with_for_update()))


def claim_queued(session: Session, account_id: int, run_id: int, now: datetime) -> bool:
    """Take up a queued run: True for the one task that does (its first stamp); False when the
    run was taken up already or ended (a duplicate task, enqueued again after a queue lost it,
    must not touch a run another worker is on)."""
    claimed = session.execute(
        update(SyncRun)
        .where(
            SyncRun.id == run_id,
            SyncRun.account_id == account_id,
            SyncRun.state == RunState.QUEUED.value,
            SyncRun.heartbeat_at.is_(None),
        )
        .values(heartbeat_at=now),
        execution_options={"synchronize_session": False},
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def workers_alive(session: Session, *, now: datetime, within: timedelta) -> bool:
    """Whether some worker shows life: a run of any account stamped within `within`."""
    recent = select(SyncRun.id).where(
        SyncRun.state.in_(WORKING_STATES), SyncRun.heartbeat_at >= now - within
    )
    return session.scalar(recent.limit(1)) is not None


def lost_runs(session: Session, *, now: datetime, grace: timedelta) -> list[SyncRun]:
    """Queued runs never taken up, older than `grace`: when the queue is empty, their tasks are
    gone (the caller asks only then)."""
    query = select(SyncRun).where(
        SyncRun.state == RunState.QUEUED.value,
        SyncRun.heartbeat_at.is_(None),
        SyncRun.created_at < now - grace,
    )
    return list(session.scalars(query.order_by(SyncRun.id).with_for_update()))


def reap_stale_runs(
    session: Session,
    *,
    now: datetime,
    stale_after: timedelta,
    unclaimed_after: timedelta,
    account_id: int | None = None,
) -> list[SyncRun]:
    """Fail every stale run with its reason; returns them (the caller notifies)."""
    reaped = stale_runs(
        session,
        now=now,
        stale_after=stale_after,
        unclaimed_after=unclaimed_after,
        account_id=account_id,
    )
    for run in reaped:
        state = run.state
        if run.heartbeat_at is None:
            minutes = round(unclaimed_after.total_seconds() / 60)
            why = (
                f"No worker took this sync up within {minutes} minutes (queued "
                f"{run.created_at:%Y-%m-%d %H:%M:%S} UTC). Nothing was imported: run the sync "
                "again; if this repeats, ask your operator whether a peoplesync worker runs."
            )
        else:
            why = (
                "The worker running this sync stopped before it finished (last sign of life "
                f"{run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC). Nothing was imported: run the sync "
                "again."
            )
        fail_run(run, why, now)
        log.warning("jobs.run.reaped", run_id=run.id, account_id=run.account_id, state=state)
    return reaped
