"""What the sync, CSV-plan, apply and reaper tasks do (the Huey wiring is in `tasks`).

Each function is a caller that owns its units of work. A whole sync: fetch and plan (the source
starts the run); an automated run then applies by itself when nothing blocks it. Afterwards the
admins hear of an automated run that was blocked or failed (email), and the account's webhooks of
any run that finished. A failure leaves a failed run saying why; a run left behind by a worker
that died is failed by the reaper.
"""

from __future__ import annotations

import structlog

from peoplesync.accounts.service import get_account
from peoplesync.connections import service as connections
from peoplesync.errors import (
    ConflictError,
    ImportBlockedError,
    InitialSyncInProgressError,
    NotFoundError,
    PeoplesyncError,
    ReconnectNeededError,
    RunActiveError,
    StalePlanError,
)
from peoplesync.jobs.heartbeat import Heartbeat, reap_stale_runs
from peoplesync.jobs.runtime import Runtime
from peoplesync.notify.service import Notifier
from peoplesync.runs.pipeline import plan_csv
from peoplesync.runs.service import AUTOMATED_TRIGGERS, apply_run, fail_run, get_run, move
from peoplesync.runs.states import FINAL_STATES, RunState
from peoplesync.store.db import unit_of_work

log = structlog.get_logger(__name__)


def _heartbeat(rt: Runtime, account_id: int, run_id: int | None = None) -> Heartbeat:
    return Heartbeat(
        rt.factory,
        account_id,
        clock=rt.clock,
        interval=rt.timings.heartbeat_seconds,
        run_id=run_id,
    )


def run_sync(
    rt: Runtime, notifier: Notifier, account_id: int, *, trigger: str, actor: str | None = None
) -> int | None:
    """A whole sync of the account's source. Returns the run id (None: no run was started)."""
    automated = trigger in AUTOMATED_TRIGGERS
    log.info("jobs.sync.started", account_id=account_id, trigger=trigger)
    with _heartbeat(rt, account_id) as beat:
        try:
            outcome = rt.source(rt, account_id, trigger=trigger, actor=actor)
        except RunActiveError as err:
            log.info("jobs.sync.skipped", account_id=account_id, reason="run_active", **err.context)
            return None
        except InitialSyncInProgressError:
            log.info("jobs.sync.skipped", account_id=account_id, reason="initial_sync")
            return None
        except ReconnectNeededError as err:
            log.warning("jobs.sync.reconnect_needed", account_id=account_id)
            if automated:
                _reconnect_needed(rt, notifier, account_id, err.message)
            return None
        except PeoplesyncError as err:  # before any run started: nothing to fail
            log.warning("jobs.sync.not_started", account_id=account_id, code=err.code)
            return None
        except Exception as err:  # a run it started is failed by the reaper once beats stop
            log.exception("jobs.sync.crashed", account_id=account_id, error=type(err).__name__)
            return None
        beat.run_id = outcome.run_id
        if automated and outcome.state is RunState.AWAITING_REVIEW:
            _auto_apply(rt, account_id, outcome.run_id)
    after_run(rt, notifier, account_id, outcome.run_id)
    return outcome.run_id


def _auto_apply(rt: Runtime, account_id: int, run_id: int) -> None:
    """An automated run nothing blocked: apply it now, or fail it saying why."""
    try:
        with unit_of_work(rt.factory) as session:
            account = get_account(session, account_id)
            apply_run(session, account, get_run(session, account_id, run_id), now=rt.clock())
    except PeoplesyncError as err:
        _fail(rt, account_id, run_id, err.admin_message())
    except Exception as err:
        log.exception("jobs.apply.crashed", run_id=run_id, error=type(err).__name__)
        _fail(rt, account_id, run_id, _unexpected(err))


def run_csv_plan(
    rt: Runtime,
    notifier: Notifier,
    account_id: int,
    data: bytes,
    *,
    source_name: str | None = None,
    actor: str | None = None,
) -> int | None:
    """Plan an uploaded file (a manual run: it waits for review). Returns the run id."""
    with _heartbeat(rt, account_id):
        try:
            with unit_of_work(rt.factory) as session:
                account = get_account(session, account_id)
                outcome = plan_csv(
                    session, account, data, now=rt.clock(), source_name=source_name, actor=actor
                )
        except RunActiveError as err:
            log.info("jobs.csv.skipped", account_id=account_id, reason="run_active", **err.context)
            return None
    after_run(rt, notifier, account_id, outcome.run_id)
    return outcome.run_id


def run_apply(
    rt: Runtime,
    notifier: Notifier,
    account_id: int,
    run_id: int,
    *,
    actor: str | None = None,
    confirm: bool = False,
) -> str:
    """Apply a reviewed run; returns its state afterwards."""
    with _heartbeat(rt, account_id, run_id):
        try:
            with unit_of_work(rt.factory) as session:
                account = get_account(session, account_id)
                run = get_run(session, account_id, run_id)
                apply_run(session, account, run, now=rt.clock(), actor=actor, confirm=confirm)
        except StalePlanError as err:
            with unit_of_work(rt.factory) as session:
                run = get_run(session, account_id, run_id)
                move(run, RunState.EXPIRED, rt.clock())
                run.error = err.admin_message()
        except (ImportBlockedError, ConflictError, NotFoundError) as err:
            log.warning("jobs.apply.refused", run_id=run_id, code=err.code)
        except Exception as err:
            log.exception("jobs.apply.crashed", run_id=run_id, error=type(err).__name__)
            _fail(rt, account_id, run_id, _unexpected(err))
    return after_run(rt, notifier, account_id, run_id)


def after_run(rt: Runtime, notifier: Notifier, account_id: int, run_id: int) -> str:
    """Tell the admins of an automated run that stopped, and the webhooks of a finished run."""
    with unit_of_work(rt.factory) as session:
        account = get_account(session, account_id)
        run = get_run(session, account_id, run_id)
        now = rt.clock()
        if run.trigger in AUTOMATED_TRIGGERS and run.state == RunState.BLOCKED:
            notifier.run_blocked(session, account, run, now)
        elif run.trigger in AUTOMATED_TRIGGERS and run.state == RunState.FAILED:
            found = connections.list_connections(session, account_id)
            lost = [c for c in found if c.status == connections.ConnectionStatus.RECONNECT_NEEDED]
            if lost:
                provider = connections.PROVIDERS.get(lost[0].provider, lost[0].provider)
                notifier.reconnect_needed(session, account, provider, lost[0].status_detail, now)
            else:
                notifier.run_failed(session, account, run, now)
        if RunState(run.state) in FINAL_STATES:
            notifier.run_finished(session, run, now)
        log.info("jobs.run.finished", run_id=run_id, state=run.state, trigger=run.trigger)
        return run.state


def reap(rt: Runtime, notifier: Notifier) -> list[int]:
    """Fail the runs of dead workers; tell the admins (automated runs) and the webhooks."""
    with unit_of_work(rt.factory) as session:
        now = rt.clock()
        reaped = reap_stale_runs(
            session,
            now=now,
            stale_after=rt.timings.stale_after,
            unclaimed_after=rt.timings.unclaimed_after,
        )
        for run in reaped:
            if run.trigger in AUTOMATED_TRIGGERS:
                notifier.run_failed(session, get_account(session, run.account_id), run, now)
            notifier.run_finished(session, run, now)
        return [r.id for r in reaped]


def _reconnect_needed(rt: Runtime, notifier: Notifier, account_id: int, detail: str) -> None:
    with unit_of_work(rt.factory) as session:
        account = get_account(session, account_id)
        found = connections.list_connections(session, account_id)
        provider = connections.PROVIDERS.get(found[0].provider, "the HRIS") if found else "the HRIS"
        notifier.reconnect_needed(session, account, provider, detail, rt.clock())


def _fail(rt: Runtime, account_id: int, run_id: int, message: str) -> None:
    with unit_of_work(rt.factory) as session:
        run = get_run(session, account_id, run_id)
        if RunState(run.state) not in FINAL_STATES:
            fail_run(run, message, rt.clock())


def _unexpected(err: BaseException) -> str:
    """An admin message for an error we did not foresee (its text may hold data: not shown)."""
    return (
        f"The sync stopped on an unexpected error ({type(err).__name__}); nothing was imported. "
        "Run the sync again; if it fails the same way, contact your peoplesync operator."
    )
