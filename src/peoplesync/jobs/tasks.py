"""The Huey tasks, bound to a runtime at start-up: `Jobs(huey, runtime)`.

    sync_account(account_id, trigger, actor, run_id, full)  a sync from the HRIS (runs/sync.py)
    plan_file(account_id, data, source_name, actor, run_id)  an uploaded file (waits for review)
    apply_plan(account_id, run_id, actor, confirm)   import a reviewed run
    send_email(email_id)                            SMTP, retried with backoff
    deliver_webhook(delivery_id)                    POST, retried with backoff
    autosync_tick()            every minute         enqueue the accounts whose daily sync is due
    reap_stale_runs()          every minute         fail the runs of workers that died, and
                                                    enqueue again what the queue lost
    refresh_initial_syncs()    every minute         ask Merge whether first syncs finished

Every process that enqueues or consumes builds the same `Jobs`, so task names agree. The tasks
are wiring: the sync use case does the work; what it refuses (an account with an active run, a
connection still in its first sync) is logged here and ends the task.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import structlog
from huey import crontab
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.autosync import claim_due
from peoplesync.accounts.service import get_account
from peoplesync.config import Settings
from peoplesync.errors import ConflictError, ImportBlockedError, NotFoundError, PeoplesyncError
from peoplesync.jobs.fleet import FleetView, fleet_view
from peoplesync.jobs.queue import make_huey
from peoplesync.jobs.runtime import Runtime
from peoplesync.jobs.service import request_sync
from peoplesync.notify.service import Notifier
from peoplesync.notify.smtp import deliver_email
from peoplesync.notify.webhooks import deliver_webhook
from peoplesync.runs.heartbeat import lost_runs
from peoplesync.runs.service import fail_run
from peoplesync.store.db import reading, unit_of_work
from peoplesync.store.effects import after_commit

log = structlog.get_logger(__name__)


class Jobs:
    """The queue's tasks and how to enqueue them (at once; `jobs.service` waits for a commit)."""

    def __init__(self, huey: Any, runtime: Runtime) -> None:
        self.huey = huey
        self.runtime = runtime
        self._register()
        self.notifier = Notifier(
            runtime.settings, send_email=self._send_email, deliver_webhook=self._deliver_webhook
        )
        self.syncs = runtime.syncs(self.notifier)

    def _register(self) -> None:
        rt, huey, t = self.runtime, self.huey, self.runtime.timings
        retrying = {
            "retry_delay": t.retry_delay_seconds,
            "retry_backoff": t.retry_backoff,
            "context": True,
        }

        def sync_account(
            account_id: int,
            trigger: str,
            actor: str | None = None,
            run_id: int | None = None,
            full: bool = False,
        ) -> None:
            with _refusals("sync", account_id):
                self.syncs.from_hris(
                    account_id, trigger=trigger, actor=actor, run_id=run_id, full=full
                )

        def plan_file(
            account_id: int,
            data: bytes,
            source_name: str | None,
            actor: str | None,
            run_id: int | None = None,
            *,
            sheet: str | None = None,
        ) -> None:
            with _refusals("csv", account_id):
                self.syncs.from_file(
                    account_id, data, name=source_name, actor=actor, run_id=run_id, sheet=sheet
                )

        def apply_plan(account_id: int, run_id: int, actor: str | None, confirm: bool) -> None:
            with _refusals("apply", account_id, run_id=run_id):
                self.syncs.apply(account_id, run_id, actor=actor, confirm=confirm)

        def send_email(email_id: int, task: Any) -> None:
            last = not task.retries
            deliver_email(rt.factory, rt.settings, email_id, clock=rt.clock, last_attempt=last)

        def deliver(delivery_id: int, task: Any) -> None:
            deliver_webhook(
                rt.factory,
                rt.box,
                delivery_id,
                clock=rt.clock,
                transport=rt.transport,
                last_attempt=not task.retries,
            )

        def autosync_tick() -> None:
            with unit_of_work(rt.factory) as session:
                self.start_due_syncs(session)

        def refresh_initial_syncs() -> None:
            self.syncs.refresh_initial_syncs()

        def reap_stale_runs() -> None:
            self.syncs.reap(stale_after=t.stale_after, unclaimed_after=t.unclaimed_after)
            self.recover_lost_runs()

        self._sync = huey.task(name="sync_account")(sync_account)
        self._plan_file = huey.task(name="plan_file")(plan_file)
        self._apply = huey.task(name="apply_plan")(apply_plan)
        self._send_email = huey.task(name="send_email", retries=t.email_retries, **retrying)(
            send_email
        )
        self._deliver_webhook = huey.task(
            name="deliver_webhook", retries=t.webhook_retries, **retrying
        )(deliver)
        every_minute = crontab(minute="*")
        self._tick = huey.periodic_task(every_minute, name="autosync_tick")(autosync_tick)
        self._reap = huey.periodic_task(every_minute, name="reap_stale_runs")(reap_stale_runs)
        self._initial = huey.periodic_task(every_minute, name="refresh_initial_syncs")(
            refresh_initial_syncs
        )

    def enqueue_sync(
        self,
        account_id: int,
        trigger: str = "manual",
        actor: str | None = None,
        run_id: int | None = None,
        *,
        full: bool = False,
        delay: float = 0.0,
    ) -> None:
        if delay > 0:
            self._sync.schedule((account_id, trigger, actor, run_id, full), delay=delay)
        else:
            self._sync(account_id, trigger, actor, run_id, full)

    def enqueue_csv_plan(
        self,
        account_id: int,
        data: bytes,
        source_name: str | None,
        actor: str | None,
        run_id: int | None = None,
        *,
        sheet: str | None = None,
    ) -> None:
        self._plan_file(account_id, data, source_name, actor, run_id, sheet=sheet)

    def enqueue_apply(
        self, account_id: int, run_id: int, actor: str | None, *, confirm: bool = False
    ) -> None:
        self._apply(account_id, run_id, actor, confirm)

    def enqueue_autosync_tick(self) -> None:
        """What the scheduler does every minute (tests and operators can ask for it now)."""
        self._tick()

    def enqueue_reaper(self) -> None:
        self._reap()

    def pending(self) -> int:
        """Tasks waiting in the queue (not counting scheduled ones: retries, spread syncs)."""
        return int(self.huey.pending_count())

    def fleet(self) -> FleetView:
        """The operator's view of every account's runs and of this queue."""
        with reading(self.runtime.factory) as session:
            return fleet_view(
                session,
                now=self.runtime.clock(),
                queued_tasks=self.pending(),
                scheduled_tasks=int(self.huey.scheduled_count()),
            )

    def scheduled_runs(self) -> set[int]:
        """The runs whose sync task waits in the schedule (the daily fan-out's spread)."""
        found = set()
        for task in self.huey.scheduled():
            if task.name == "sync_account" and len(task.args) > 3 and task.args[3] is not None:
                found.add(int(task.args[3]))
        return found

    def start_due_syncs(self, session: Session) -> list[int]:
        """Claim the accounts whose daily sync is due and start each one's run, queued, in the
        claim's own transaction (the tasks are enqueued after the commit): a queue that loses its
        tasks (a Redis restart mid-fan-out) loses no account's day, as the runs say what to
        enqueue again. An account that cannot start now (a run active, a connection to redo) is
        left to the sync task, which says why (and emails the admins where it must)."""
        now, spread = self.runtime.clock(), self.runtime.settings.autosync_spread_minutes * 60
        started: list[int] = []
        for account_id in claim_due(session, now):
            delay = spread_offset(account_id, spread)
            log.info("autosync.due", account_id=account_id, starts_in=round(delay))
            try:
                with session.begin_nested():
                    account = get_account(session, account_id)
                    run_id = request_sync(
                        session, self, account, actor=None, trigger="automatic", delay=delay
                    )
                    started.append(run_id)
            except PeoplesyncError as err:
                log.info("autosync.not_started", account_id=account_id, reason=err.code)
                after_commit(
                    session, "autosync.enqueue", partial(self.enqueue_sync, account_id, "automatic")
                )
        return started

    def recover_lost_runs(self) -> list[int]:
        """When the queue is empty, a run still queued and never taken up has lost its task (a
        Redis restart keeps nothing): an HRIS run is enqueued again (at most `max_requeues`
        times; a worker taking up a duplicate finds the run moved on and stops), a file's run
        fails saying so (its bytes were only in the queue). Returns the runs enqueued again."""
        if self.pending():
            return []
        rt, t = self.runtime, self.runtime.timings
        again: list[tuple[int, str, str | None, int]] = []
        failed: list[tuple[int, int]] = []
        waiting = self.scheduled_runs()  # spread over the fan-out's window: not lost
        with unit_of_work(rt.factory) as session:
            for run in lost_runs(session, now=rt.clock(), grace=t.lost_after):
                if run.id in waiting:
                    continue
                done = int((run.progress or {}).get("requeued", 0))
                if run.source_kind == "merge" and done < t.max_requeues:
                    run.progress = {**(run.progress or {}), "requeued": done + 1}
                    again.append((run.account_id, run.trigger, run.started_by, run.id))
                    continue
                fail_run(run, _lost_reason(run.source_kind), rt.clock())
                failed.append((run.account_id, run.id))
        for account_id, trigger, actor, run_id in again:
            log.warning("jobs.run.requeued", account_id=account_id, run_id=run_id)
            self.enqueue_sync(account_id, trigger, actor, run_id)
        for account_id, run_id in failed:
            self.syncs.conclude(account_id, run_id)
        return [run_id for *_, run_id in again]


def spread_offset(account_id: int, window_seconds: float) -> float:
    """An account's fixed place in the fan-out's window, in seconds (the same every day, spread
    evenly over the accounts by a hash of the id)."""
    if window_seconds <= 0:
        return 0.0
    digest = hashlib.blake2b(str(account_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * window_seconds


def _lost_reason(source_kind: str) -> str:
    if source_kind == "merge":
        return (
            "The queue lost this sync several times (its server restarted?). Nothing was "
            "imported: run the sync again; if this repeats, ask your operator."
        )
    return (
        "The queue lost this upload before a worker read it (its server restarted?). Nothing "
        "was imported: upload the file again."
    )


@contextmanager
def _refusals(task: str, account_id: int, *, run_id: int | None = None) -> Iterator[None]:
    """What the use case refuses ends the task with a log line (the run, if any, says why)."""
    try:
        yield
    except (ImportBlockedError, ConflictError, NotFoundError) as err:
        log.info(f"jobs.{task}.skipped", account_id=account_id, reason=err.code, **err.context)
    except PeoplesyncError as err:
        log.warning(f"jobs.{task}.not_started", account_id=account_id, code=err.code)


def build_jobs(
    settings: Settings, factory: sessionmaker[Session], *, huey: Any = None, **runtime: Any
) -> Jobs:
    """The queue from the settings and its tasks, for a web app, a CLI command or a worker."""
    return Jobs(
        huey if huey is not None else make_huey(settings),
        Runtime(settings=settings, factory=factory, **runtime),
    )
