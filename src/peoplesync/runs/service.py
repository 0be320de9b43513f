"""Sync runs: start one, plan it from a source snapshot, apply its stored plan.

Each function works inside the caller's transaction and never commits. A stage's failure is
wrapped once, here, naming the stage and the run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peoplesync.accounts.service import bump_version
from peoplesync.accounts.settings import policy_of
from peoplesync.core.delta import Changes, Company, plan_changes, plannable, validate_changes
from peoplesync.core.employee import Person, SourceSnapshot
from peoplesync.core.guard import GuardReport, SourceState, guard
from peoplesync.core.index import RecordIndex
from peoplesync.core.issues import Issue, ValidationReport
from peoplesync.core.plan import ChangeKind, Plan, plan
from peoplesync.core.states import ACTIVE_STATES, RunState, check_move
from peoplesync.core.validate import validate
from peoplesync.errors import (
    ConflictError,
    ImportBlockedError,
    NotFoundError,
    ReviewWaitingError,
    RunActiveError,
    StalePlanError,
)
from peoplesync.runs.hold import hold_back
from peoplesync.store.db import BIG_CHANGE, refresh_statistics
from peoplesync.store.directory import drop_unheld_demographics
from peoplesync.store.mirror import mark_in_step
from peoplesync.store.models import Account, Connection, SyncRun
from peoplesync.store.plans import save_plan, write_stored_plan
from peoplesync.store.snapshots import load_directory

log = structlog.get_logger(__name__)

# Runs nobody reviews: the guard blocks them instead of asking (issue 5).
AUTOMATED_TRIGGERS = frozenset({"automatic", "webhook"})


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an import changed: people by kind, and the change log's rows."""

    counts: dict[str, int]
    changed_fields: int


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    run_id: int
    state: RunState
    report: ValidationReport
    plan: Plan | None  # None when validation errors blocked the import
    error: str | None = None  # why the run failed before planning
    guard: GuardReport = field(default_factory=GuardReport)  # the guard's findings on the plan


def start_run(
    session: Session,
    account: Account,
    *,
    trigger: str,
    source_kind: str,
    now: datetime,
    source_name: str | None = None,
    actor: str | None = None,
    connection_id: int | None = None,
    replace_waiting: bool = False,
) -> SyncRun:
    """A new queued run; any other active run refuses. A run waiting for review refuses too
    (`ReviewWaitingError`: the admin chooses), unless `replace_waiting` or the run is automated
    (its plan is older than what the HRIS says now): then it is cancelled, saying which run
    replaced it."""
    replace_waiting = replace_waiting or trigger in AUTOMATED_TRIGGERS
    waiting = session.scalar(
        select(SyncRun).where(
            SyncRun.account_id == account.id, SyncRun.state == RunState.AWAITING_REVIEW
        )
    )
    if waiting is not None and not replace_waiting:
        raise review_waiting(waiting)
    if waiting is not None:
        move(waiting, RunState.CANCELLED, now)
        session.flush()
    run = SyncRun(
        account_id=account.id,
        connection_id=connection_id,
        trigger=trigger,
        source_kind=source_kind,
        source_name=source_name,
        started_by=actor,
        state=RunState.QUEUED,
        counts={},
        issues=[],
        findings=[],
        confirmations=[],
        timings={},
        progress={},
        created_at=now,
        started_at=now,
    )
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        raise already_running(active_run(session, account.id)) from None
    if waiting is not None:
        waiting.error = f"Replaced by sync {run.id}."
        session.flush()
        log.info("sync.run.replaced", run_id=waiting.id, by=run.id, account_id=account.id)
    log.info("sync.run.started", run_id=run.id, account_id=account.id, trigger=trigger)
    return run


def review_waiting(waiting: SyncRun) -> ReviewWaitingError:
    return ReviewWaitingError(
        f"Sync {waiting.id} is waiting for your review.",
        hint="Open it to review and import its changes, or replace it with a new sync "
        "(it is then cancelled; nothing of it is imported).",
        run_id=waiting.id,
    )


def already_running(active: SyncRun | None) -> RunActiveError:
    """The refusal of a second sync while `active` runs: which run, and what to do."""
    which = f" (run {active.id}, {active.state.replace('_', ' ')})" if active else ""
    return RunActiveError(
        f"A sync is already running for this account{which}.",
        hint="Wait for it to finish, then sync again.",
        run_id=active.id if active else None,
    )


def active_run(session: Session, account_id: int) -> SyncRun | None:
    return session.scalar(
        select(SyncRun).where(
            SyncRun.account_id == account_id, SyncRun.state.in_([s.value for s in ACTIVE_STATES])
        )
    )


def get_run(session: Session, account_id: int, run_id: int) -> SyncRun:
    run = session.scalar(
        select(SyncRun).where(SyncRun.id == run_id, SyncRun.account_id == account_id)
    )
    if run is None:
        raise NotFoundError(f"There is no run {run_id} in this account.")
    return run


WORKING = frozenset({RunState.FETCHING, RunState.PLANNING, RunState.APPLYING})


def move(run: SyncRun, target: RunState, now: datetime) -> None:
    """Move a run through the state table. Starting to work is a sign of life: a worker that
    dies before its first heartbeat leaves a run the reaper fails within minutes."""
    run.state = check_move(run.state, target)
    if target in WORKING:
        run.heartbeat_at = now
    if target not in ACTIVE_STATES:
        run.finished_at = now


def plan_run(
    session: Session,
    account: Account,
    run: SyncRun,
    snapshot: SourceSnapshot,
    *,
    today: date,
    now: datetime,
    source_issues: Sequence[Issue] = (),
    source_state: SourceState | None = None,
) -> PlanOutcome:
    """Validate, plan and guard the whole company, and store the plan, in one session (the sync
    use case reads and computes in one transaction and writes in another: `plan_company`, then
    `record_plan`)."""
    planned = plan_company(session, account, snapshot, today=today, source_issues=source_issues)
    return record_plan(session, account, run, planned, now=now, source_state=source_state)


def plan_company(
    session: Session,
    account: Account,
    snapshot: SourceSnapshot,
    *,
    today: date,
    source_issues: Sequence[Issue] = (),
    partial: bool = False,
) -> Planned:
    """Validate and plan the whole company against the directory (`partial`: nobody leaves).
    Only reads."""
    clock = Laps()
    version = account.directory_version
    directory = load_directory(session, account.id)
    clock.lap("load_directory")
    index = RecordIndex.build(snapshot.records)
    report = validate(snapshot, today=today, index=index, directory=directory, partial=partial)
    report = ValidationReport((*source_issues, *report.issues))
    clock.lap("validate")
    result = None
    if report.ok:
        policy = replace(policy_of(account), partial=partial)
        result = plan(snapshot, directory, import_date=today, policy=policy, index=index)
        clock.lap("plan")
    return Planned(report, result, directory, None, version, today, clock.timings)


def plan_part(
    session: Session, account: Account, changes: Changes, company: Company, *, today: date
) -> Planned | None:
    """`plan_company` for only what changed since the directory was last in step with the
    source (core/delta.py); None when the changes cannot be planned alone. Only reads."""
    if not plannable(changes):
        return None
    clock = Laps()
    version = account.directory_version
    report = validate_changes(changes, company, today=today)
    clock.lap("validate")
    records = len(changes.snapshot.records)
    if not report.ok:
        return Planned(report, None, (), None, version, today, clock.timings, records)
    part = plan_changes(changes, company, import_date=today, policy=policy_of(account))
    if part is None:
        return None
    clock.lap("plan")
    return Planned(
        report, part.plan, part.people, part.active, version, today, clock.timings, records
    )


def plan_run_changes(
    session: Session,
    account: Account,
    run: SyncRun,
    changes: Changes,
    company: Company,
    *,
    today: date,
    now: datetime,
    source_state: SourceState | None = None,
) -> PlanOutcome | None:
    """`plan_run` for only what changed; None, with the run untouched, when the changes cannot
    be planned alone."""
    planned = plan_part(session, account, changes, company, today=today)
    if planned is None:
        return None
    return record_plan(session, account, run, planned, now=now, source_state=source_state)


@dataclass(frozen=True, slots=True)
class Planned:
    """A computed plan, not yet stored: what `record_plan` writes."""

    report: ValidationReport
    plan: Plan | None  # None when validation errors blocked it
    people: Sequence[Person]  # the directory (or the part the plan touches), for the guard
    active: int | None  # active people in the directory, when `people` is only a part
    version: int  # the directory version the plan was made against
    today: date  # the import date
    timings: dict[str, float]
    planned_records: int | None = None  # a plan of only what changed: how many records


class Laps:
    """Seconds per stage, each from the end of the one before."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 4)
        self._last = now


def record_plan(
    session: Session,
    account: Account,
    run: SyncRun,
    planned: Planned,
    *,
    now: datetime,
    source_state: SourceState | None = None,
) -> PlanOutcome:
    """Store a computed plan on its run and guard it: validation errors block the run (nothing
    to review); so do guard findings on an automated run, unless the account holds per person
    (`runs.hold`: only the flagged changes wait) (a manual run shows them and needs a
    confirmation). The run keeps the directory version the plan was made against, so a plan the
    directory moved past meanwhile is refused at apply."""
    if run.state != RunState.PLANNING:
        move(run, RunState.PLANNING, now)
    clock = Laps()
    report, result = planned.report, planned.plan
    if result is not None and result.issues:  # conflicts with the directory: they block too
        report = ValidationReport((*report.issues, *result.issues))
    run.issues = [i.to_dict() for i in report.issues]
    run.import_date = planned.today
    run.base_version = planned.version
    timings: dict[str, Any] = {**run.timings, **planned.timings}
    if planned.planned_records is not None:
        timings["planned_records"] = planned.planned_records
    counts: dict[str, Any] = {"errors": len(report.errors), "warnings": len(report.warnings)}
    if result is None or not report.ok:
        run.counts = counts
        run.blocked_reason = "validation"
        run.timings = timings
        move(run, RunState.BLOCKED, now)
        log.info("sync.plan.blocked", run_id=run.id, errors=counts["errors"])
        return PlanOutcome(run.id, RunState.BLOCKED, report, None)
    checked = _guard(account, result, planned.people, planned.active, source_state)
    if run.trigger in AUTOMATED_TRIGGERS and account.hold_per_person:
        whole = planned.planned_records is None and not run.partial
        if held := hold_back(session, account, run, result, checked, whole=whole, now=now):
            result, checked, counts = held.plan, GuardReport(), counts | held.counts
    save_plan(session, run.id, result.items)
    clock.lap("store_plan")
    run.counts = counts | result.counts()
    run.timings = timings | clock.timings
    run.findings = checked.to_dicts()
    if checked.blocked and run.trigger in AUTOMATED_TRIGGERS:
        run.blocked_reason = checked.reason
        move(run, RunState.BLOCKED, now)
        log.info("sync.guard.blocked", run_id=run.id, reasons=",".join(checked.reasons))
        return PlanOutcome(run.id, RunState.BLOCKED, report, result, guard=checked)
    outcome = RunState.AWAITING_REVIEW if result.changed() else RunState.SUCCEEDED
    move(run, outcome, now)  # nothing to change: the run is done, with nothing to review
    if outcome is RunState.SUCCEEDED:
        _record_success(session, run, now, version=planned.version)
    log.info("sync.plan.built", run_id=run.id, findings=len(checked.findings), **result.counts())
    return PlanOutcome(run.id, outcome, report, result, guard=checked)


def _guard(
    account: Account,
    result: Plan,
    directory: Sequence[Person],
    active: int | None,
    source_state: SourceState | None,
) -> GuardReport:
    return guard(
        result,
        directory,
        active=active,
        policy=policy_of(account),
        source_state=source_state,
    )


def apply_run(
    session: Session,
    account: Account,
    run: SyncRun,
    *,
    now: datetime,
    actor: str | None = None,
    confirm: bool = False,
) -> ApplyResult:
    """Apply the run's stored plan in the caller's transaction: all of it, or (on error) none.

    A plan with guard findings applies only with `confirm=True`, recorded on the run (who, when,
    what was pushed through)."""
    ensure_applicable(run, confirm=confirm)
    if run.findings:
        _record_confirmation(run, now=now, actor=actor)
    move(run, RunState.APPLYING, now)
    if run.base_version is None or not bump_version(session, account.id, run.base_version):
        raise StalePlanError(
            "The directory changed since this sync was reviewed, so it was not imported.",
            hint="Run the sync again to review the current changes.",
            run_id=run.id,
        )
    clock = Laps()
    undo = run.undoes_run_id
    people, logged, undone = write_stored_plan(  # in chunks: memory grows with one
        session,
        account_id=account.id,
        run_id=run.id,
        source_kind=run.source_kind,
        actor=actor or run.started_by,
        now=now,
        keep=undo is not None,  # an undo's rows: for the demographics it leaves unheld
    )
    if undo is not None:
        drop_unheld_demographics(session, account.id, undone, undone_run_id=undo)
    if _moves_statistics(run, people):
        refresh_statistics(session)
    clock.lap("apply")
    run.timings = {**run.timings, **clock.timings}
    run.counts = {**run.counts, "changed_fields": logged}
    move(run, RunState.SUCCEEDED, now)
    _record_success(session, run, now, version=run.base_version + 1)
    session.refresh(account, ["directory_version"])
    log.info("sync.apply.done", run_id=run.id, people=people, fields=logged)
    return ApplyResult({k.value: int(run.counts.get(k.value, 0)) for k in ChangeKind}, logged)


def _moves_statistics(run: SyncRun, changed: int) -> bool:
    """Whether an import this big can move the query planner's statistics: BIG_CHANGE people or
    more, and a tenth of the directory or more (a 1% churn of a large company leaves them as they
    were, and refreshing them reads pages of every table)."""
    everyone = sum(int(run.counts.get(kind.value, 0)) for kind in ChangeKind)
    return changed >= BIG_CHANGE and changed * 10 >= everyone


def ensure_applicable(run: SyncRun, *, confirm: bool) -> None:
    """Refuse, saying why, to import a run that is not awaiting review, or whose safeguard
    findings are not confirmed."""
    if run.state != RunState.AWAITING_REVIEW:
        raise ConflictError(
            f"Run {run.id} is {run.state.replace('_', ' ')}, not awaiting review.",
            hint="Start a new sync.",
            run_id=run.id,
        )
    if run.findings and not confirm:
        found = GuardReport.from_dicts(run.findings)
        raise ImportBlockedError(
            f"This sync needs your confirmation: {len(found.findings)} safeguard finding(s) "
            f"({', '.join(found.reasons)}). " + " ".join(f.message for f in found.findings[:3]),
            hint="Review the flagged people. If the changes are intended, confirm them to push "
            f"the sync through (on the run's page, or `peoplesync apply {run.id} --confirm`).",
            run_id=run.id,
        )


def _record_confirmation(run: SyncRun, *, now: datetime, actor: str | None) -> None:
    found = GuardReport.from_dicts(run.findings)
    entry = {
        "by": actor or run.started_by,
        "at": now.isoformat(),
        "reasons": list(found.reasons),
        "findings": [{"code": f.code, "message": f.message} for f in found.findings],
    }
    run.confirmations = [*run.confirmations, entry]
    log.info("sync.guard.confirmed", run_id=run.id, by=entry["by"], reasons=",".join(found.reasons))


def _record_success(session: Session, run: SyncRun, now: datetime, *, version: int) -> None:
    """The connection's "latest sync" is the last run that left the directory in step; at
    `version`, the directory now holds what the run's plan compared of the mirror."""
    if run.connection_id is None:
        return
    session.execute(
        update(Connection).where(Connection.id == run.connection_id).values(last_success_at=now)
    )
    if run.mirror_basis is not None and run.import_date is not None:
        mark_in_step(
            session,
            run.connection_id,
            version=version,
            import_date=run.import_date,
            basis=run.mirror_basis,
            run_id=run.id,
        )


def cancel_run(run: SyncRun, now: datetime, *, reason: str | None = None) -> None:
    move(run, RunState.CANCELLED, now)
    if reason:
        run.error = reason


def fail_run(run: SyncRun, message: str, now: datetime) -> None:
    """Mark a run failed with its reason (from any active state)."""
    move(run, RunState.FAILED, now)
    run.error = message
    log.warning("sync.run.failed", run_id=run.id, reason=message)


def expire_run(run: SyncRun, message: str, now: datetime) -> None:
    """A reviewed plan the directory moved past: nothing imported, a new sync is needed."""
    move(run, RunState.EXPIRED, now)
    run.error = message
    log.info("sync.run.expired", run_id=run.id)


def list_runs(session: Session, account_id: int, *, limit: int = 50) -> list[SyncRun]:
    return list(
        session.scalars(
            select(SyncRun)
            .where(SyncRun.account_id == account_id)
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
    )
