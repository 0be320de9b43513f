"""The one sync use case: every sync (a worker's task, a CLI command, Merge's webhook, the daily
schedule) runs through `Syncs`.

    start -> read the source -> plan (validate, plan, guard) -> [apply, if automated] -> conclude

Each stage is its own unit of work, and no network call happens inside one. A stage's failure is
wrapped once, here (`_stage`): the run fails (a plan the directory moved past expires) with the
reason, the log names the stage and the run, every move goes through the state table, and
nothing is imported. `conclude` tells whom it concerns, after the commit: the admins (by email)
of an automated run that was blocked or failed, the account's webhooks of every finished run.

What cannot start is refused with the reason (an error), before any run exists: the account
already has an active run, the HRIS is doing its first sync or must be reconnected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import structlog
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.accounts.service import get_account
from peoplesync.connections import service as connections
from peoplesync.core.guard import GuardReport, SourceState
from peoplesync.core.issues import Issue, ValidationReport
from peoplesync.core.states import FINAL_STATES, RunState
from peoplesync.errors import PeoplesyncError, ReconnectNeededError, StalePlanError
from peoplesync.notify.inline import inline_notifier
from peoplesync.runs import files, hris, undo
from peoplesync.runs.heartbeat import (
    STALE_AFTER,
    UNCLAIMED_AFTER,
    Heartbeat,
    claim_queued,
    reap_stale_runs,
)
from peoplesync.runs.hris import HrisContext
from peoplesync.runs.outcome import Stage, SyncEnv, SyncResult, unexpected
from peoplesync.runs.service import (
    AUTOMATED_TRIGGERS,
    Planned,
    PlanOutcome,
    apply_run,
    cancel_run,
    ensure_applicable,
    expire_run,
    fail_run,
    get_run,
    move,
    record_plan,
    start_run,
)
from peoplesync.runs.tell import tell_admins
from peoplesync.sources.base import Source, SourceBatch
from peoplesync.sources.merge.source import MergeSource
from peoplesync.store.db import checkpoint_meanwhile, unit_of_work
from peoplesync.store.models import SyncRun

log = structlog.get_logger(__name__)
T = TypeVar("T")


class _StageFailedError(Exception):
    """A stage failed; the run says why (raised only inside `Syncs`)."""


class Syncs:
    def __init__(self, env: SyncEnv) -> None:
        self.env = env

    @classmethod
    def in_process(cls, factory: sessionmaker[Session], hris: HrisContext) -> Syncs:
        """The use case for a process without workers (a CLI command): its emails and webhooks
        are sent from this process once the work that caused them commits."""
        notifier = inline_notifier(
            hris.settings, factory, hris.box, clock=hris.clock, transport=hris.transport
        )
        return cls(SyncEnv(factory, hris, notifier))

    # --- the ways in ------------------------------------------------------------------------

    def from_hris(
        self,
        account_id: int,
        *,
        trigger: str,
        actor: str | None = None,
        full: bool = False,
        run_id: int | None = None,
        on_progress: Callable[[int], None] | None = None,
        replace_waiting: bool = False,
    ) -> SyncResult:
        """A sync from the account's HRIS: a new run, or `run_id` a request already started. A
        run waiting for review refuses a manual sync unless `replace_waiting`; an automated
        one replaces it (`start_run`)."""
        status_http: float | None = None
        if run_id is None:
            run_id, status_http = self._start_hris(
                account_id,
                trigger=trigger,
                actor=actor,
                replace_waiting=replace_waiting,
            )
        elif not self._claim(account_id, run_id):
            return self._result(account_id, run_id)  # a duplicate task: another has the run
        with self._heartbeat(account_id, run_id):
            try:
                source, status_http = self._stage(
                    account_id, run_id, Stage.READ, self._open_hris, full, status_http
                )
                batch = self._read(account_id, run_id, source, on_progress)
                outcome = self._stage(
                    account_id, run_id, Stage.PLAN, self._plan_hris, source, batch, status_http
                )
                result = self._auto_apply(account_id, outcome)
            except _StageFailedError:
                result = self._result(account_id, run_id)
        self.conclude(account_id, result.run_id)
        return result

    def from_file(
        self,
        account_id: int,
        data: bytes,
        *,
        name: str | None,
        trigger: str = "csv",
        actor: str | None = None,
        run_id: int | None = None,
        partial: bool = False,
        sheet: str | None = None,
    ) -> SyncResult:
        """A sync from an employee file, CSV or XLSX (`sheet`: the workbook's sheet to read), a
        manual run: it waits for review. A new run is `partial` (runs/files.py) or not; a run
        already started says so itself. Uploading a file replaces a run left waiting for review
        (which then says so)."""
        if run_id is None:
            run_id = self.start(
                account_id,
                trigger=trigger,
                source_kind="csv",
                name=name,
                actor=actor,
                replace_waiting=True,
            )
            self._mark_partial(account_id, run_id, partial)
        with self._heartbeat(account_id, run_id):
            try:
                source = self._stage(
                    account_id, run_id, Stage.READ, self._open_file, data, name, sheet
                )
                batch = self._read(account_id, run_id, source, None)
                outcome = self._stage(account_id, run_id, Stage.PLAN, self._plan_file, batch)
                result = self._auto_apply(account_id, outcome)
            except _StageFailedError:
                result = self._result(account_id, run_id)
        self.conclude(account_id, result.run_id)
        return result

    def apply(
        self, account_id: int, run_id: int, *, actor: str | None = None, confirm: bool = False
    ) -> SyncResult:
        """Import a reviewed run. Refused (raised, the run unchanged) when it is not awaiting
        review or its safeguard findings are not confirmed; a plan the directory moved past
        expires."""
        with self._heartbeat(account_id, run_id):
            self._check_apply(account_id, run_id, confirm=confirm)
            with suppress(_StageFailedError):
                self._stage(account_id, run_id, Stage.APPLY, self._apply, actor, confirm)
            result = self._result(account_id, run_id)
        self.conclude(account_id, run_id)
        return result

    def undo(self, account_id: int, run_id: int, *, actor: str | None = None) -> SyncResult:
        """A run that reverses imported run `run_id` (runs/undo.py): planned, validated and
        guarded like any sync, it waits for review. Refused (raised, no run started) when the
        run cannot be undone."""
        source_kind = undo.check(self.env.factory, account_id, run_id)
        name = f"Undo of sync {run_id}"
        undo_id = self.start(
            account_id, trigger=undo.TRIGGER, source_kind=source_kind, name=name, actor=actor
        )
        with self._heartbeat(account_id, undo_id):
            try:
                planned = self._stage(
                    account_id, undo_id, Stage.PLAN, undo.plan_stage, self.env, run_id
                )
                outcome = self._stage(account_id, undo_id, Stage.PLAN, self._record, planned, None)
                result = self._auto_apply(account_id, outcome)
            except _StageFailedError:
                result = self._result(account_id, undo_id)
        self.conclude(account_id, undo_id)
        return result

    def cancel(self, account_id: int, run_id: int, *, reason: str | None = None) -> SyncResult:
        """Nothing is imported; the run stays in the history as cancelled (saying why)."""
        with unit_of_work(self.env.factory) as session:
            cancel_run(get_run(session, account_id, run_id), self.env.clock(), reason=reason)
        self.conclude(account_id, run_id)
        return self._result(account_id, run_id)

    def start(
        self,
        account_id: int,
        *,
        trigger: str,
        source_kind: str,
        name: str | None = None,
        actor: str | None = None,
        connection_id: int | None = None,
        replace_waiting: bool = False,
    ) -> int:
        """A queued run (refused while the account has an active one that is still alive; one
        waiting for review is replaced only if asked)."""
        self.reap(account_id=account_id)
        with unit_of_work(self.env.factory) as session:
            run = start_run(
                session,
                get_account(session, account_id),
                trigger=trigger,
                source_kind=source_kind,
                source_name=name,
                actor=actor,
                now=self.env.clock(),
                connection_id=connection_id,
                replace_waiting=replace_waiting,
            )
            session.flush()
            return run.id

    def reap(
        self,
        *,
        stale_after: timedelta = STALE_AFTER,
        unclaimed_after: timedelta = UNCLAIMED_AFTER,
        account_id: int | None = None,
    ) -> list[int]:
        """Fail the runs of workers (or commands) that died, of every account or one, and
        conclude each. The reaper task does this every minute; a sync starting does it for its
        own account first, so a killed `peoplesync sync` never holds the account's slot."""
        with unit_of_work(self.env.factory) as session:
            reaped = reap_stale_runs(
                session,
                now=self.env.clock(),
                stale_after=stale_after,
                unclaimed_after=unclaimed_after,
                account_id=account_id,
            )
            found = [(r.account_id, r.id) for r in reaped]
        for owner, run_id in found:
            self.conclude(owner, run_id)
        return [run_id for _, run_id in found]

    def refresh_initial_syncs(self, account_id: int | None = None) -> int:
        """Ask Merge again about every connection still in its first sync (of one account, or
        all): a setup driven by the API alone learns that it finished. Returns how many were
        asked; a failure is recorded on its connection, never raised."""
        with unit_of_work(self.env.factory) as session:
            waiting = connections.initial_sync_accounts(session, account_id)
        for owner in waiting:
            try:
                hris.refresh_status(self.env.factory, owner, self.env.hris)
            except PeoplesyncError as err:
                log.info("sync.initial_sync.unknown", account_id=owner, code=err.code)
        return len(waiting)

    def conclude(self, account_id: int, run_id: int) -> None:
        """Tell the admins of an automated run that stopped or held changes back, and the
        webhooks of a finished run (both sent after this commit)."""
        notifier, now = self.env.notifier, self.env.clock()
        with unit_of_work(self.env.factory) as session:
            account = get_account(session, account_id)
            run = get_run(session, account_id, run_id)
            tell_admins(session, notifier, account, run, now)
            if RunState(run.state) in FINAL_STATES:
                notifier.run_finished(session, run, now)

    # --- the stages ---------------------------------------------------------------------------

    def _start_hris(
        self, account_id: int, *, trigger: str, actor: str | None, replace_waiting: bool
    ) -> tuple[int, float]:
        """Ask Merge how its sync stands, then start an HRIS run (or refuse); with the seconds
        the status calls took. The admins hear of an automated sync refused because the
        connection must be redone."""
        env, timings = self.env, {"http": 0.0}
        try:
            hris.refresh_status(env.factory, account_id, env.hris, timings=timings)
            with unit_of_work(env.factory) as session:
                connection = connections.get_connection(session, account_id)
                connections.ensure_syncable(connection)
                connection_id, provider = connection.id, connection.provider
        except ReconnectNeededError as err:
            if trigger in AUTOMATED_TRIGGERS:
                self._reconnect_needed(account_id, err.message)
            raise
        run_id = self.start(
            account_id,
            trigger=trigger,
            source_kind="merge",
            name=connections.PROVIDERS[provider],
            actor=actor,
            connection_id=connection_id,
            replace_waiting=replace_waiting,
        )
        return run_id, timings["http"]

    def _reconnect_needed(self, account_id: int, detail: str) -> None:
        env = self.env
        hris.tell_reconnect_needed(env.factory, env.notifier, account_id, detail, env.clock())

    def _open_hris(
        self, account_id: int, run_id: int, full: bool, status_http: float | None
    ) -> tuple[MergeSource, float]:
        """The connection's source, once Merge said how its sync stands (asked here unless the
        start just asked); with the seconds the status calls took (a run's HTTP time counts
        every call to Merge)."""
        env = self.env
        if status_http is None:
            timings = {"http": 0.0}
            hris.refresh_status(env.factory, account_id, env.hris, timings=timings)
            status_http = timings["http"]
        with unit_of_work(env.factory) as session:
            account = get_account(session, account_id)
            connection = connections.get_connection(session, account_id)
            connections.ensure_syncable(connection)
            move(get_run(session, account_id, run_id), RunState.FETCHING, env.clock())
            source = hris.open_source(session, account, connection, env.hris, full=full)
        return source, status_http

    def _mark_partial(self, account_id: int, run_id: int, partial: bool) -> None:
        with unit_of_work(self.env.factory) as session:
            get_run(session, account_id, run_id).partial = partial

    def _open_file(
        self, account_id: int, run_id: int, data: bytes, name: str | None, sheet: str | None
    ) -> Source:
        return files.open_upload(self.env.factory, account_id, data, name=name, sheet=sheet)

    def _read(
        self,
        account_id: int,
        run_id: int,
        source: Source,
        on_progress: Callable[[int], None] | None,
    ) -> SourceBatch:
        env = self.env
        report = hris.progress_reporter(
            env.factory,
            run_id,
            on_progress,
            env.hris.progress_every_seconds,
            getattr(source, "estimate", None),  # a windowed Merge read says how long is left
        )

        def read(account_id: int, run_id: int) -> SourceBatch:
            with checkpoint_meanwhile(env.factory):  # the disk catches up while we wait
                return source.read(report)

        return self._stage(account_id, run_id, Stage.READ, read)

    def _plan_hris(
        self,
        account_id: int,
        run_id: int,
        source: MergeSource,
        batch: SourceBatch,
        status_http: float,
    ) -> PlanOutcome:
        """Mirror (a short write), plan (only reads: no write lock while it computes), store the
        plan (a short write)."""
        http = batch.timings.get("http", 0.0) + status_http
        batch = replace(batch, timings={**batch.timings, "http": http})
        planned, state = hris.mirror_and_plan(
            self.env.factory, account_id, run_id, source, batch, clock=self.env.clock
        )
        return self._record(account_id, run_id, planned, state)

    def _plan_file(self, account_id: int, run_id: int, batch: SourceBatch) -> PlanOutcome:
        planned = files.plan_upload(self.env.factory, account_id, run_id, batch, self.env.clock)
        return self._record(account_id, run_id, planned, None)

    def _record(
        self, account_id: int, run_id: int, planned: Planned, state: SourceState | None
    ) -> PlanOutcome:
        with unit_of_work(self.env.factory) as session:
            account = get_account(session, account_id)
            run = get_run(session, account_id, run_id)
            return record_plan(
                session, account, run, planned, now=self.env.clock(), source_state=state
            )

    def _auto_apply(self, account_id: int, outcome: PlanOutcome) -> SyncResult:
        """An automated run nothing blocked imports now; a manual one waits for review."""
        with unit_of_work(self.env.factory) as session:
            trigger = get_run(session, account_id, outcome.run_id).trigger
        if trigger in AUTOMATED_TRIGGERS and outcome.state is RunState.AWAITING_REVIEW:
            with suppress(_StageFailedError):
                self._stage(account_id, outcome.run_id, Stage.APPLY, self._apply, None, False)
            return self._result(account_id, outcome.run_id)
        return SyncResult(
            outcome.run_id,
            outcome.state,
            outcome.report,
            outcome.plan,
            outcome.guard,
            outcome.error,
        )

    def _check_apply(self, account_id: int, run_id: int, *, confirm: bool) -> None:
        with unit_of_work(self.env.factory) as session:
            ensure_applicable(get_run(session, account_id, run_id), confirm=confirm)

    def _apply(self, account_id: int, run_id: int, actor: str | None, confirm: bool) -> None:
        with unit_of_work(self.env.factory) as session:
            account = get_account(session, account_id)
            run = get_run(session, account_id, run_id)
            apply_run(session, account, run, now=self.env.clock(), actor=actor, confirm=confirm)

    # --- the one wrapper ------------------------------------------------------------------------

    def _stage(
        self,
        account_id: int,
        run_id: int,
        stage: Stage,
        work: Callable[..., T],
        *args: object,
    ) -> T:
        """Run one stage (planning and importing in a CPU slot); on failure, end the run saying
        why (and raise `_StageFailedError`)."""
        slot = self.env.cpu_slots if stage is not Stage.READ else None
        try:
            with slot or nullcontext():
                return work(account_id, run_id, *args)
        except StalePlanError as err:
            self._end(account_id, run_id, expire_run, err.admin_message())
            log.info("sync.stage.stale", stage=stage, run_id=run_id)
        except PeoplesyncError as err:
            self._end(account_id, run_id, fail_run, err.admin_message())
            hris.record_connection_error(self.env.factory, account_id, err)
            log.warning("sync.stage.failed", stage=stage, run_id=run_id, code=err.code)
        except Exception as err:
            log.exception(
                "sync.stage.crashed", stage=stage, run_id=run_id, error=type(err).__name__
            )
            self._end(account_id, run_id, fail_run, unexpected(stage, err))
        raise _StageFailedError

    def _end(
        self,
        account_id: int,
        run_id: int,
        how: Callable[[SyncRun, str, datetime], None],
        message: str,
    ) -> None:
        with unit_of_work(self.env.factory) as session:
            run = get_run(session, account_id, run_id)
            if RunState(run.state) not in FINAL_STATES:
                how(run, message, self.env.clock())

    # --- helpers ------------------------------------------------------------------------------

    def _claim(self, account_id: int, run_id: int) -> bool:
        with unit_of_work(self.env.factory) as session:
            taken = claim_queued(session, account_id, run_id, self.env.clock())
        if not taken:
            log.info("sync.run.already_taken", account_id=account_id, run_id=run_id)
        return taken

    @contextmanager
    def _heartbeat(self, account_id: int, run_id: int) -> Iterator[Heartbeat]:
        """Stamp this run (never another of the account's: a dead one must stay dead) while the
        block works on it."""
        env = self.env
        with Heartbeat(
            env.factory,
            account_id,
            clock=env.clock,
            interval=env.heartbeat_seconds,
            run_id=run_id,
        ) as beat:
            yield beat

    def _result(self, account_id: int, run_id: int) -> SyncResult:
        with unit_of_work(self.env.factory) as session:
            run = get_run(session, account_id, run_id)
            report = ValidationReport(tuple(Issue.from_dict(i) for i in run.issues))
            found = GuardReport.from_dicts(run.findings)
            return SyncResult(run.id, RunState(run.state), report, None, found, run.error)
