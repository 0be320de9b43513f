"""The Huey tasks, bound to a runtime at start-up: `Jobs(huey, runtime)`.

    sync_account(account_id, trigger, actor, run_id, full)  a sync from the HRIS (runs/sync.py)
    plan_file(account_id, data, source_name, actor, run_id)  an uploaded file (waits for review)
    apply_plan(account_id, run_id, actor, confirm)   import a reviewed run
    send_email(email_id)                            SMTP, retried with backoff
    deliver_webhook(delivery_id)                    POST, retried with backoff
    autosync_tick()            every minute         enqueue the accounts whose daily sync is due
    reap_stale_runs()          every minute         fail the runs of workers that died
    refresh_initial_syncs()    every minute         ask Merge whether first syncs finished

Every process that enqueues or consumes builds the same `Jobs`, so task names agree. The tasks
are wiring: the sync use case does the work; what it refuses (an account with an active run, a
connection still in its first sync) is logged here and ends the task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from huey import crontab
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.autosync import enqueue_due
from peoplesync.config import Settings
from peoplesync.errors import ConflictError, ImportBlockedError, NotFoundError, PeoplesyncError
from peoplesync.jobs.queue import make_huey
from peoplesync.jobs.runtime import Runtime
from peoplesync.notify.service import Notifier
from peoplesync.notify.smtp import deliver_email
from peoplesync.notify.webhooks import deliver_webhook
from peoplesync.store.db import unit_of_work

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
        ) -> None:
            with _refusals("csv", account_id):
                self.syncs.from_file(account_id, data, name=source_name, actor=actor, run_id=run_id)

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
                enqueue_due(session, rt.clock(), lambda a: self.enqueue_sync(a, "automatic"))

        def refresh_initial_syncs() -> None:
            self.syncs.refresh_initial_syncs()

        def reap_stale_runs() -> None:
            self.syncs.reap(stale_after=t.stale_after, unclaimed_after=t.unclaimed_after)

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
    ) -> None:
        self._sync(account_id, trigger, actor, run_id, full)

    def enqueue_csv_plan(
        self,
        account_id: int,
        data: bytes,
        source_name: str | None,
        actor: str | None,
        run_id: int | None = None,
    ) -> None:
        self._plan_file(account_id, data, source_name, actor, run_id)

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
        """Tasks waiting in the queue (not counting scheduled retries)."""
        return int(self.huey.pending_count())


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
